"""Build each package's wheel once per nox run, and look inside wheels.

Sessions install packages as built wheels (never editable), so a file the
wheel forgets to ship fails the tests instead of hiding behind the source tree.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import zipfile
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


def build_wheel(session, package: Package) -> Path:
    """The wheel of ``package`` built from the local tree (built on first request in this run)."""
    if package.name in _built:
        return _built[package.name]
    if package.name in _failed:
        session.error(f"{package.path} failed to build a wheel earlier in this run (see above)")
    out = wheel_root() / package.name
    out.mkdir(exist_ok=True)
    try:
        _run_build(session, package, out)
    except Exception:
        _failed.add(package.name)
        raise
    wheels = sorted(out.glob("*.whl"))
    if len(wheels) != 1:
        session.error(f"building {package.path} produced {len(wheels)} wheels, expected one")
    _built[package.name] = wheels[0]
    return wheels[0]


def _run_build(session, package: Package, out: Path) -> None:
    """Build the wheel with ``uv build`` (or ``pip wheel`` where uv is missing) into ``out``."""
    uv = uv_command()
    if uv:
        session.run(uv, "build", "--wheel", "--out-dir", str(out), str(package.path),
                    external=True, silent=True, log=verbose(session))
    else:
        session.run("python", "-m", "pip", "wheel", "--no-deps", "--quiet",
                    "--wheel-dir", str(out), str(package.path), silent=True,
                    log=verbose(session))


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
