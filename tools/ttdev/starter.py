"""Write a student starter: the monorepo with every solution region replaced by a stub.

In ``packages/*/src`` every region::

    # Hint: np.maximum broadcasts a scalar.      <- kept: comments before the region
    # BEGIN SOLUTION
    # Compare with zero.                         <- kept: leading comments are hints
    return np.maximum(x, 0)                      <- removed
    # END SOLUTION

becomes ``raise NotImplementedError("tinytorch starter: tt-nn relu is not
implemented yet. Tests: ... Docs: ...")`` at the region's indentation (see
``stubs.py``). Every other file the working tree holds (tracked, or untracked
and not ignored) is copied as it is; ``.git``, results and build outputs are not,
nor any file whose first line is ``# tinytorch: instructors only`` (a complete
answer kept for instructors, such as the benchmarks' hand-written NumPy baselines).
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .stubs import STARTER_MARKER, stub_source
from .tasks import TaskListError, read_tasks, task_of_function

BEGIN_MARK = "# BEGIN SOLUTION"
END_MARK = "# END SOLUTION"
INSTRUCTORS_ONLY_MARK = "# tinytorch: instructors only"
EXCLUDED_TOP = {".git", ".nox", "results", "dist", "build", "site", ".venv"}
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis"}
MAX_LISTED_TESTS = 3
RUFF_IGNORES = (
    "# The starter's stubs leave imports and variables that only the solutions used,\n"
    "# and their messages name long test paths.\n"
    '"packages/*/src/**" = ["F401", "F841", "E501"]\n'
)


class StarterError(ValueError):
    """The reference cannot be turned into a starter (unbalanced or misplaced markers)."""


@dataclass(frozen=True)
class Region:
    """One ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region (0-based line indexes)."""

    begin: int
    end: int
    indent: str


def find_regions(lines: list[str], where: str) -> list[Region]:
    """Every solution region in ``lines``; StarterError for a nested or unclosed marker."""
    regions, begin = [], None
    for index, line in enumerate(lines):
        mark = line.strip()
        if mark == BEGIN_MARK:
            if begin is not None:
                raise StarterError(f"{where}:{index + 1}: {BEGIN_MARK} inside the region "
                                   f"opened on line {begin + 1}; close it first")
            begin = index
        elif mark == END_MARK:
            if begin is None:
                raise StarterError(f"{where}:{index + 1}: {END_MARK} without a {BEGIN_MARK}")
            regions.append(Region(begin, index, lines[begin][: len(lines[begin])
                                                              - len(lines[begin].lstrip())]))
            begin = None
    if begin is not None:
        raise StarterError(f"{where}:{begin + 1}: {BEGIN_MARK} is never closed by {END_MARK}")
    return regions


def function_spans(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every function, e.g. ``Linear.forward``."""
    spans: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    spans.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, f"{name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return spans


def enclosing_function(spans: list[tuple[int, int, str]], line: int) -> str | None:
    """The innermost function whose body holds the 1-based ``line``."""
    inside = [(first, name) for first, last, name in spans if first < line <= last]
    return max(inside)[1] if inside else None


def leading_comments(lines: list[str], region: Region) -> list[str]:
    """The comment lines at the start of a region (hints), up to its first line of code."""
    kept = []
    for line in lines[region.begin + 1 : region.end]:
        if line.strip() and not line.strip().startswith("#"):
            break
        if line.strip():
            kept.append(line)
    return kept


def covering_tests(function: str, tests: dict[str, str], folder: str) -> list[str]:
    """Test files that mention the function (for a method: its class and its name).

    Falls back to the class alone, then to the tests folder.
    """
    parts = function.split(".")
    words = parts[-2:] if len(parts) > 1 and not parts[-1].startswith("__") else parts[-2:-1]
    words = words or parts[-1:]

    def mentioning(wanted: list[str]) -> list[str]:
        return [path for path, text in sorted(tests.items())
                if all(re.search(rf"\b{re.escape(w)}\b", text) for w in wanted)]

    hits = mentioning(words) or (mentioning(words[:1]) if len(words) > 1 else [])
    if not hits:
        return [f"{folder}/"]
    if len(hits) > MAX_LISTED_TESTS:
        extra = len(hits) - MAX_LISTED_TESTS
        return [*hits[:MAX_LISTED_TESTS], f"{extra} more in {folder}/"]
    return hits


def stub_file(source: str, where: str, package: str, tests: dict[str, str],
              tests_folder: str, tasks: dict | None = None) -> tuple[str, list[str]]:
    """``source`` with every region stubbed, and the functions stubbed (qualified names).

    ``tasks`` (function -> ``tasks.Task``) lets each stub name its task.
    """
    lines = source.splitlines(keepends=True)
    regions = find_regions(lines, where)
    if not regions:
        return source, []
    spans = function_spans(source)
    out, functions, position = [], [], 0
    for region in regions:
        function = enclosing_function(spans, region.begin + 1)
        if function is None:
            raise StarterError(f"{where}:{region.begin + 1}: {BEGIN_MARK} outside a function "
                               f"body; markers go inside function bodies (CONTRIBUTING.md)")
        functions.append(function)
        found = covering_tests(function, tests, tests_folder)
        docs = f"docs/packages/{package}.md"
        out += lines[position : region.begin] + leading_comments(lines, region)
        task = (tasks or {}).get(function)
        out += [line + "\n"
                for line in stub_source(region.indent, package, function, found, docs, task)]
        position = region.end + 1
    stubbed = "".join(out + lines[position:])
    try:
        ast.parse(stubbed)
    except SyntaxError as error:
        raise StarterError(f"{where}: the stubbed file does not parse ({error}); "
                           f"check its solution markers") from error
    return stubbed, functions


def tree_files(root: Path) -> list[Path]:
    """The working tree's files (relative): tracked, plus untracked ones git does not ignore.

    Without git, every file; either way without ``.git``, results and build outputs.
    """
    if (root / ".git").exists():
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
             "--exclude-standard"], capture_output=True, text=True, check=True,
        ).stdout.split("\0")
        paths = {Path(p) for p in listed if p}
    else:
        paths = {p.relative_to(root) for p in root.rglob("*") if p.is_file()}
    return sorted(p for p in paths if (root / p).is_file() and not excluded(p))


def excluded(path: Path) -> bool:
    """True for files a starter never holds (version control, results, builds, caches)."""
    return path.parts[0] in EXCLUDED_TOP or any(part in EXCLUDED_PARTS for part in path.parts)


def instructors_only(path: Path) -> bool:
    """True for a file that starts with ``# tinytorch: instructors only`` (never in a starter)."""
    with path.open("rb") as file:
        first = file.readline(200)
    return first.decode("utf-8", errors="replace").strip() == INSTRUCTORS_ONLY_MARK


def package_of(path: Path) -> str | None:
    """``tt-nn`` for ``packages/tt-nn/src/...py``; None for files that are not package sources."""
    parts = path.parts
    if len(parts) > 3 and parts[0] == "packages" and parts[2] == "src" and path.suffix == ".py":
        return parts[1]
    return None


def package_tests(root: Path, package: str) -> dict[str, str]:
    """The text of every test file of ``package``, by path relative to ``root``."""
    folder = root / "packages" / package / "tests"
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(folder.rglob("*.py"))} if folder.is_dir() else {}


def write_starter(root: Path, dest: Path) -> dict[str, list[str]]:
    """Write the starter of the tree at ``root`` into ``dest``; return stubbed functions by package.

    ``dest`` must be outside ``root`` and empty (or absent).
    """
    root, dest = root.resolve(), dest.resolve()
    if dest == root or root in dest.parents:
        raise StarterError(f"{dest} is inside the reference tree {root}; "
                           f"write the starter somewhere else, e.g. ../tinytorch-starter")
    if dest.exists() and any(dest.iterdir()):
        raise StarterError(f"{dest} is not empty; give a new or empty folder")
    stubbed: dict[str, list[str]] = {}
    tests_cache: dict[str, dict[str, str]] = {}
    tasks_cache: dict[str, dict] = {}
    for relative in tree_files(root):
        if instructors_only(root / relative):
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        package = package_of(relative)
        text = (root / relative).read_text(encoding="utf-8") if package else ""
        if package and BEGIN_MARK in text:
            tests = tests_cache.setdefault(package, package_tests(root, package))
            if package not in tasks_cache:
                try:
                    listed = read_tasks(root / "packages" / package)
                except TaskListError as error:
                    raise StarterError(str(error)) from error
                tasks_cache[package] = task_of_function(listed)
            new_text, functions = stub_file(text, str(relative), package, tests,
                                            f"packages/{package}/tests", tasks_cache[package])
            target.write_text(new_text, encoding="utf-8")
            stubbed.setdefault(package, []).extend(functions)
        else:
            shutil.copy2(root / relative, target)
    relax_ruff(dest / "pyproject.toml")
    write_marker(root, dest, stubbed)
    return stubbed


def relax_ruff(pyproject: Path) -> None:
    """Let ruff accept imports and variables only the removed solutions used."""
    if not pyproject.is_file():
        return
    text = pyproject.read_text(encoding="utf-8")
    header = "[tool.ruff.lint.per-file-ignores]\n"
    if header in text:
        text = text.replace(header, header + RUFF_IGNORES, 1)
    else:
        text = text.rstrip("\n") + "\n\n" + header + RUFF_IGNORES
    pyproject.write_text(text, encoding="utf-8")


def write_marker(root: Path, dest: Path, stubbed: dict[str, list[str]]) -> None:
    """``.tinytorch-starter``: says this tree is a starter, from which reference commit."""
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"
    lines = [
        "# A tinytorch student starter, written by `nox -s starter` from the reference.",
        f'reference_commit = "{commit}"',
        f'generated = "{dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}"',
        f"stubbed_functions = {sum(len(f) for f in stubbed.values())}",
    ]
    (dest / STARTER_MARKER).write_text("\n".join(lines) + "\n", encoding="utf-8")


def is_starter(root: Path) -> bool:
    """True when ``root`` is a starter written by :func:`write_starter`."""
    return (root / STARTER_MARKER).is_file()


def format_report(stubbed: dict[str, list[str]], dest: Path) -> str:
    """What was written: functions stubbed per package and what to do next."""
    lines = [f"starter written to {dest}"]
    lines += [f"  {package:<14} {len(functions):>3} functions to write"
              for package, functions in sorted(stubbed.items())]
    lines += ["next: cd there, `git init`, commit, and push it as the assignment's template;",
              "      students see what is left with `nox -s progress`."]
    return "\n".join(lines)


def solution_lines(text: str) -> tuple[set[str], set[str]]:
    """(code lines inside solution regions, lines outside them), stripped, of one file."""
    inside, outside, in_region = set(), set(), False
    for line in text.splitlines():
        mark = line.strip()
        if mark in (BEGIN_MARK, END_MARK):
            in_region = mark == BEGIN_MARK
        elif in_region and mark and not mark.startswith("#"):
            inside.add(mark)
        elif mark:
            outside.add(mark)
    return inside, outside


def reference_only_lines(root: Path) -> set[str]:
    """Code lines of solution regions that appear nowhere outside a region in the tree."""
    inside, outside = set(), set()
    for relative in tree_files(root):
        if instructors_only(root / relative):   # never in a starter: its lines stay secret
            continue
        text = _text(root / relative)
        if package_of(relative) is None:    # markers elsewhere are examples (CONTRIBUTING.md)
            outside |= {line.strip() for line in text.splitlines() if line.strip()}
            continue
        found_inside, found_outside = solution_lines(text)
        inside |= found_inside
        outside |= found_outside
    return inside - outside


def leaked_lines(dest: Path, secret: set[str]) -> list[str]:
    """``path: line`` for every line of the tree at ``dest`` that is one of ``secret``."""
    leaks = []
    for relative in tree_files(dest):
        for line in _text(dest / relative).splitlines():
            if line.strip() in secret:
                leaks.append(f"{relative}: {line.strip()}")
    return leaks


def _text(path: Path) -> str:
    """A file's text ('' for binary files)."""
    data = path.read_bytes()
    return "" if b"\0" in data[:4096] else data.decode("utf-8", errors="replace")
