"""Build each package's wheel once per nox run, and look inside wheels.

Sessions install packages as built wheels (never editable), so a file the
wheel forgets to ship fails the tests instead of hiding behind the source tree.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import tomllib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import Version

from .graph import Package
from .verbosity import verbose

_built: dict[str, Path] = {}
_failed: set[str] = set()
_wheel_root: list[Path] = []


def uv_command() -> str | None:
    """The uv executable nox would use, or None when uv is not available."""
    try:
        from nox.virtualenv import find_uv
    except ImportError:
        return shutil.which("uv")
    found = find_uv()
    return found[1] if found[0] else None


def wheel_root() -> Path:
    """A temporary folder for this nox run's wheels, removed when nox exits."""
    if not _wheel_root:
        folder = Path(tempfile.mkdtemp(prefix="tinytorch-wheels-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _wheel_root.append(folder)
    return _wheel_root[0]


def build_wheel(session, package: Package, find_links: Sequence[Path] = ()) -> Path:
    """The wheel of ``package`` built from the local tree (built on first request in this run).

    ``find_links``: folders that may hold the build backend's wheels (the reference
    wheelhouse's ``build-tools/``), for a first build with no index."""
    if package.name in _built:
        return _built[package.name]
    if package.name in _failed:
        session.error(f"{package.path} failed to build a wheel earlier in this run (see above)")
    out = wheel_root() / package.name
    out.mkdir(exist_ok=True)
    try:
        _run_build(session, package, out, find_links)
    except Exception:
        _failed.add(package.name)
        raise
    wheels = sorted(out.glob("*.whl"))
    if len(wheels) != 1:
        session.error(f"building {package.path} produced {len(wheels)} wheels, expected one")
    _built[package.name] = wheels[0]
    return wheels[0]


def _run_build(session, package: Package, out: Path, find_links: Sequence[Path] = ()) -> None:
    """Build the wheel into ``out`` (:func:`wheel_build_command`), saying so when the
    shared build environment cannot be made and the build needs the index."""
    command, fallback = wheel_build_command(package.path, out, find_links)
    if fallback:
        session.warn(fallback)
    session.run(*command, external=True, silent=True, log=verbose(session))


def wheel_build_command(project: Path, out: Path, find_links: Sequence[Path] = (),
                        ) -> tuple[list[str], str | None]:
    """The command building ``project``'s wheel into ``out``, for nox sessions and grading
    alike: the package's backend from the shared build environment (:func:`build_env_python`:
    no network once it exists); where that cannot be made, ``uv build`` (or ``pip wheel``
    where uv is missing), which fetch the backend, with the reason as the second item."""
    backend = build_backend(project)
    try:
        python = build_env_python(backend.requires, find_links)
    except BuildEnvError as error:
        uv = uv_command()
        isolated = ([uv, "build", "--wheel", "--out-dir", str(out), str(project)] if uv else
                    [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
                     "--wheel-dir", str(out), str(project)])
        return isolated, f"{error}; building with an isolated environment instead (needs the index)"
    return backend_build_command(python, backend, project, out), None


def wheel_members(wheel: Path) -> list[str]:
    """The file names inside a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def wheel_name_version(wheel: Path) -> tuple[str, Version] | None:
    """(canonical name, version) from a wheel's file name; None if it is not a wheel name."""
    try:
        name, version, _build, _tags = parse_wheel_filename(wheel.name)
    except InvalidWheelFilename:
        return None
    return str(name), version


# -- what a wheelhouse was built from --------------------------------------------

MANIFEST = "wheelhouse.json"        # written by `nox -s build` next to the wheels
NOT_GIT = "not a git repo"


def tree_commit(folder: Path) -> str:
    """``git rev-parse HEAD`` of ``folder`` (with ``+dirty`` when it has uncommitted changes
    to tracked files), or ``not a git repo``."""
    import subprocess

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-c", "safe.directory=*", "-C", str(folder), *args],
                              capture_output=True, text=True, timeout=30, check=False)

    try:
        head = git("rev-parse", "--verify", "HEAD")
        if head.returncode != 0 or git("rev-parse", "--show-toplevel").stdout.strip() != \
                str(Path(folder).resolve()):
            return NOT_GIT
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return NOT_GIT
    return head.stdout.strip() + ("+dirty" if dirty else "")


def write_manifest(out: Path, built_from: str, commit: str, versions: dict[str, str]) -> Path:
    """``wheelhouse.json`` in ``out``: whether the wheels come from the reference or a
    starter, the commit they were built from and each package's version."""
    import json

    path = out / MANIFEST
    path.write_text(json.dumps({"built_from": built_from, "commit": commit,
                                "packages": versions}, indent=2) + "\n")
    return path


def read_manifest(wheelhouse: Path) -> dict:
    """The wheelhouse's ``wheelhouse.json`` ({} when absent or unreadable)."""
    import json

    try:
        data = json.loads((wheelhouse / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def wheelhouse_kind(wheelhouse: Path) -> str:
    """``reference``, ``starter`` (built from a starter: students' stubs, not answers) or
    ``unknown`` (no manifest: not written by `nox -s build`)."""
    kind = read_manifest(wheelhouse).get("built_from")
    return kind if kind in ("reference", "starter") else "unknown"


# -- building without the network -------------------------------------------------
#
# An isolated PEP 517 build (uv build, pip wheel) installs the build backend (hatchling)
# from the index every time, so every session failed offline. Instead the backend is
# installed once into a build environment shared by every build on the machine (by its
# requirements), from pip's usual sources plus any ``find_links`` folder (a reference
# wheelhouse's ``build-tools/``, which `nox -s build` fills), and wheels are built by
# calling the backend's ``build_wheel`` hook in that environment: no network after the
# first time, and no installer run per build.

BUILD_ENV_VAR = "TT_BUILD_ENV"        # the folder holding the build environments
BUILD_TOOLS = "build-tools"           # a wheelhouse's folder of build backend wheels
DEFAULT_BACKEND = ("setuptools.build_meta:__legacy__", ("setuptools>=40.8.0",))
_env_lock = threading.Lock()


class BuildEnvError(RuntimeError):
    """The shared build environment could not be made (no index and no local wheels)."""


@dataclass(frozen=True)
class Backend:
    """A project's ``[build-system]``: the backend module path and what it needs."""

    path: str                    # "hatchling.build"
    requires: tuple[str, ...]    # ("hatchling>=1.21",)


def build_backend(project: Path) -> Backend:
    """The ``[build-system]`` of ``project/pyproject.toml`` (PEP 517's default without one)."""
    try:
        table = tomllib.loads((project / "pyproject.toml").read_text()).get("build-system", {})
    except (OSError, tomllib.TOMLDecodeError):
        table = {}
    if "build-backend" not in table:
        return Backend(DEFAULT_BACKEND[0], tuple(table.get("requires", DEFAULT_BACKEND[1])))
    return Backend(table["build-backend"], tuple(table.get("requires", ())))


def build_envs_root() -> Path:
    """``$TT_BUILD_ENV``, else ``~/.cache/tinytorch/build-envs`` (``$XDG_CACHE_HOME``)."""
    if os.environ.get(BUILD_ENV_VAR):
        return Path(os.environ[BUILD_ENV_VAR])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "tinytorch" / "build-envs"


def venv_python(env: Path) -> Path:
    """The python of the virtual environment at ``env``."""
    return env / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def build_env_python(requires: Sequence[str], find_links: Sequence[Path] = ()) -> Path:
    """The python of the shared build environment holding ``requires`` (made on first use,
    by pip, with ``find_links`` as extra wheel folders). BuildEnvError when it cannot be
    made; a half-made environment is never used (it is renamed into place when complete)."""
    key = hashlib.sha256("\n".join(sorted(requires)).encode()).hexdigest()[:12]
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    env = build_envs_root() / f"{tag}-{key}"
    with _env_lock:
        if (env / "complete").is_file():
            return venv_python(env)
        env.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(prefix=f".{env.name}-", dir=env.parent))
        try:
            _make_build_env(scratch, requires, find_links)
            (scratch / "complete").write_text("\n".join(requires) + "\n")
            try:
                scratch.rename(env)
            except OSError:   # another process finished first: use its environment
                if not (env / "complete").is_file():
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return venv_python(env)


def _make_build_env(folder: Path, requires: Sequence[str], find_links: Sequence[Path]) -> None:
    """A venv at ``folder`` with ``requires`` installed by its own pip."""
    links = [arg for link in find_links if Path(link).is_dir()
             for arg in ("--find-links", str(link))]
    steps = [[sys.executable, "-m", "venv", str(folder)],
             [str(venv_python(folder)), "-m", "pip", "install", "--quiet",
              "--disable-pip-version-check", *links, *requires]]
    for step in steps:
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=600,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BuildEnvError(f"the build environment for {', '.join(requires)} could not "
                                f"be made: {error}") from error
        if done.returncode != 0:
            last = (done.stdout + done.stderr).strip().splitlines()[-3:]
            raise BuildEnvError(f"the build environment for {', '.join(requires)} could not "
                                f"be made ({' '.join(step[:3])} ...): {' | '.join(last)}")


BUILD_SNIPPET = (
    "import importlib, os, sys\n"
    "project, out, backend, hook = sys.argv[1:5]\n"
    "os.chdir(project)\n"
    "module, _, attr = backend.partition(':')\n"
    "hooks = importlib.import_module(module)\n"
    "for part in filter(None, attr.split('.')):\n"
    "    hooks = getattr(hooks, part)\n"
    "print(getattr(hooks, hook)(out))\n"
)


def backend_build_command(python: Path, backend: Backend, project: Path, out: Path,
                          hook: str = "build_wheel") -> list:
    """The command building ``project``'s wheel (or sdist: ``hook="build_sdist"``) into
    ``out`` with that PEP 517 hook, run by ``python`` (of the build environment) in the
    project folder."""
    return [str(python), "-c", BUILD_SNIPPET, str(Path(project).resolve()),
            str(Path(out).resolve()), backend.path, hook]


def download_build_tools(requires: Sequence[str], out: Path, python: str = sys.executable,
                         ) -> list:
    """The pip command saving the wheels of ``requires`` (and their dependencies) into
    ``out``: a wheelhouse's ``build-tools/``, from which a grader's first build works
    with no index."""
    return [python, "-m", "pip", "download", "--quiet", "--only-binary", ":all:",
            "--dest", str(out), *requires]
