"""What keeps a student's code from changing what ``grade`` reports.

- **Reference tests from a copy.** A package's reference tests, and a
  milestone's scripts, run from a fresh copy (with the reference's root
  ``conftest.py`` and what it loads) outside both trees, made read-only and
  fingerprinted: a run that changes it is an error, and the reference tree
  itself is never the working tree of a run.
- **No student plugins.** pytest runs with plugin autoloading off
  (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``), so a ``pytest11`` entry point in a
  student wheel never loads; the plugins the reference tests use are named with
  ``-p``. The student tree's ``conftest.py`` files are never on pytest's path.
- **No student build code.** A student package is built from the reference
  package's own ``pyproject.toml`` with only the student's ``src/`` copied in,
  so a student's build hook, build backend or extra dependency never runs.
- **No links out of the tree.** A package folder or source file that is a
  symlink leaving the student's tree is refused.
- **Copies are flagged.** A package whose sources (or whose solution regions)
  hash the same as the reference's is reported as identical to the reference.

Code that the tests or scripts import still runs in their process with the
grader's rights; ``sandbox.py`` confines it where bubblewrap works.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

# The reference's root files its tests read (relative to the tree); what the conftest
# imports from the tools package (ttdev) is installed in the run's environment.
REFERENCE_TEST_SUPPORT = ("conftest.py", "pyproject.toml")
PACKAGE_TEST_SUPPORT = ("tasks.toml",)   # next to the package's tests/ (task names)
# Plugins the reference tests rely on, loaded by module name with autoloading off.
REFERENCE_PLUGINS = ("_hypothesis_pytestplugin",)
PYTEST_ENV = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
PYTEST_DROPPED_ENV = ("PYTEST_PLUGINS", "PYTEST_ADDOPTS", "PWD", "OLDPWD")
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".hypothesis"}
BEGIN_MARK, END_MARK = "# BEGIN SOLUTION", "# END SOLUTION"
IDENTICAL = "identical to the reference"


class IntegrityError(RuntimeError):
    """A student tree tries to reach outside itself (a symlink leaving it)."""


def _ignored(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n in SKIPPED_PARTS}


def reference_test_copy(tests: Path, into: Path) -> Path:
    """A read-only copy in ``into`` of ``<tree>/packages/<name>/tests`` and the root files its
    conftest needs; the copy's tests folder."""
    tree = tests.parents[2]
    for relative in REFERENCE_TEST_SUPPORT:
        if (tree / relative).is_file():
            (into / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(tree / relative, into / relative)
    copied = into / tests.relative_to(tree)
    shutil.copytree(tests, copied, ignore=_ignored)
    for name in PACKAGE_TEST_SUPPORT:
        if (tests.parent / name).is_file():
            shutil.copy2(tests.parent / name, copied.parent / name)
    set_read_only(into, True)
    return copied


def reference_milestones_copy(milestone: Path, into: Path) -> Path:
    """A read-only copy in ``into`` of the ``milestones/`` folder holding ``milestone``
    (results and caches left out); the copy's folder of that milestone."""
    milestones = milestone.parent
    shutil.copytree(milestones, into / milestones.name,
                    ignore=lambda folder, names: _ignored(folder, names) | (
                        {"results"} & set(names)))
    set_read_only(into, True)
    return into / milestones.name / milestone.name


def set_read_only(folder: Path, read_only: bool) -> None:
    """Remove (or give back) the write permission on every file and folder under ``folder``."""
    write = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    for path in [folder, *folder.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode & ~write if read_only else mode | stat.S_IWUSR)


def fingerprint(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (caches skipped), by relative path."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not SKIPPED_PARTS & set(p.relative_to(folder).parts)}


def changed_files(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files added, removed or changed between two fingerprints."""
    return sorted(name for name in before.keys() | after.keys()
                  if before.get(name) != after.get(name))


def escaping_links(folder: Path, root: Path) -> list[str]:
    """``link -> target`` for every symlink at or under ``folder`` that resolves outside
    ``root``, or loops; links inside ``root`` are followed and checked in turn."""
    root = root.resolve()
    found, seen = [], set()

    def check(path: Path) -> bool:
        target = Path(os.path.realpath(path))
        if path.is_symlink() and not target.is_relative_to(root):
            found.append(f"{path} -> {os.readlink(path)}")
            return False
        return True

    if not check(folder):
        return found
    for current, dirs, files in os.walk(folder, followlinks=True):
        real = os.path.realpath(current)
        if real in seen:
            found.append(f"{current} (a symlink loop)")
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = [d for d in dirs if check(Path(current) / d)]
        for name in files:
            check(Path(current) / name)
    return found


def student_build_tree(student: Path, reference: Path, root: Path, into: Path) -> Path:
    """The reference package folder's build files with the student's ``src/`` in it.

    ``student``/``reference`` are package folders (``packages/tt-nn``), ``root`` the
    student's tree; IntegrityError when a symlink there leaves ``root``.
    """
    links = escaping_links(student, root)
    if links:
        raise IntegrityError("refused: symlinks leave the student's tree: " + "; ".join(links))
    if not (student / "src").is_dir():
        raise IntegrityError(f"{student} has no src/ folder")
    shutil.copytree(reference, into, ignore=lambda folder, names: {
        n for n in names if Path(folder) == reference and n in ("src", "tests")
    } | _ignored(folder, names))
    shutil.copytree(student / "src", into / "src", ignore=_ignored)
    return into


def solution_regions(text: str) -> list[str]:
    """The text of each ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region, stripped per line."""
    regions, current = [], None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == BEGIN_MARK:
            current = []
        elif stripped == END_MARK and current is not None:
            regions.append("\n".join(current))
            current = None
        elif current is not None and stripped:
            current.append(stripped)
    return regions


def region_hashes(src: Path) -> list[str]:
    """Sorted hashes of every solution region of the Python files under ``src``."""
    return sorted(hashlib.sha256(region.encode()).hexdigest()
                  for path in src.rglob("*.py") if "__pycache__" not in path.parts
                  for region in solution_regions(path.read_text(encoding="utf-8",
                                                                errors="replace")))


def identical_to_reference(student: Path, reference: Path) -> bool:
    """True when the student's ``src/`` is the reference's: every file, or every solution
    region, hashes the same."""
    mine, theirs = student / "src", reference / "src"
    if not mine.is_dir() or not theirs.is_dir():
        return False
    if fingerprint(mine) == fingerprint(theirs):
        return True
    regions = region_hashes(theirs)
    return bool(regions) and region_hashes(mine) == regions
