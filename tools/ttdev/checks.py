"""Repository checks the lint session runs besides ruff.

- No package ships ``tinytorch/__init__.py``: ``tinytorch`` is a PEP 420
  namespace shared by every package, and one such file shadows the others.
- Every declared range on another tt-* package admits that package's local version.
- Every milestone's declared scripts exist, and its ``also_requires`` names packages.
- Package docstrings use the site's one markup: Markdown, ``$...$`` and ``$$...$$``
  for math, fenced code blocks. No Sphinx role (``:class:`X` ``, ``:math:`x` ``), reST
  directive (``.. math::``) or reST literal marker (a line ending in ``::``): the API
  reference is rendered by mkdocstrings as Markdown, which prints those as they are.
- Every package with solution regions has a task list (``tasks.toml``, see ``tasks.py``):
  each region's function belongs to exactly one task, every function a task names is a
  region, every test node id exists, task names are unique, ``unlocks`` names a milestone.
  (The guides' task tables and task headings are checked by ``guide_tasks.py``, which lint
  runs in its own environment: it renders the tables with the docs' Jinja templates.)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from .graph import Package, range_problems
from .starter import BEGIN_MARK, enclosing_function, find_regions, function_spans
from .tasks import TASKS_FILE, TaskListError, read_tasks
from .wheels import wheel_members

NAMESPACE_INIT = "tinytorch/__init__.py"
SPHINX_ROLE = re.compile(r":(?:func|class|meth|mod|attr|obj|data|exc):`")


def namespace_problems_in_tree(packages: Iterable[Package]) -> list[str]:
    """Packages whose source tree has ``src/tinytorch/__init__.py``."""
    return [
        f"{p.path / 'src' / NAMESPACE_INIT} exists: delete it, tinytorch is a namespace package"
        for p in packages
        if (p.path / "src" / NAMESPACE_INIT).exists()
    ]


# (pattern, what it is, what to write instead); checked on every docstring line
DOCSTRING_MARKUP = [
    (re.compile(r":math:`"), "a reST math role", "$...$"),
    (re.compile(r":(?:func|class|meth|mod|attr|obj|data|exc|ref|doc):`"), "a Sphinx role",
     "``name``"),
    (re.compile(r"^\s*\.\. [\w-]+::"), "a reST directive",
     "$$ on lines of their own for math, a ``` fence for code"),
    (re.compile(r"^(?!\s*\.\. ).*::\s*$"), "a reST literal-block marker",
     "one colon, then a ``` fenced code block"),
]


def docstrings(source: str):
    """(first line number, text) of every module, class and function docstring in ``source``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                yield body[0].value.lineno, body[0].value.value


_ARGS_HEADER = re.compile(r"^(\s*)(?:Args|Arguments|Parameters|Keyword Args):\s*$")
_GROUPED = re.compile(r"^\s*\**\w+(?:\s*,\s*\**\w+)+\s*:")


def grouped_parameter_lines(text: str) -> list[int]:
    """Offsets of ``a, b: ...`` lines in a docstring's Args section (griffe, which renders
    the API reference, wants one parameter per entry and fails the strict build)."""
    found, indent = [], None
    for offset, line in enumerate(text.splitlines()):
        header = _ARGS_HEADER.match(line)
        if header:
            indent = len(header.group(1))
            continue
        if indent is not None and line.strip():
            if len(line) - len(line.lstrip()) <= indent:
                indent = None
            elif _GROUPED.match(line):
                found.append(offset)
    return found


def docstring_markup_problems(packages: Iterable[Package]) -> list[str]:
    """Docstring lines of package sources in a markup the Markdown API pages show raw."""
    problems = []
    for package in packages:
        for source in sorted((package.path / "src").rglob("*.py")):
            try:
                found = list(docstrings(source.read_text()))
            except SyntaxError as error:
                problems.append(f"{source}: does not parse ({error})")
                continue
            for first, text in found:
                problems += [f"{source}:{first + offset}: several parameters in one Args "
                             "entry; give each its own line (griffe warns, docs --strict fails)"
                             for offset in grouped_parameter_lines(text)]
                for offset, line in enumerate(text.splitlines()):
                    for pattern, what, instead in DOCSTRING_MARKUP:
                        if pattern.search(line):
                            problems.append(f"{source}:{first + offset}: {what}, shown raw in "
                                            f"the API reference; write {instead} instead")
    return problems


def namespace_problems_in_wheel(wheel: Path) -> list[str]:
    """A problem if the built wheel contains ``tinytorch/__init__.py``."""
    if NAMESPACE_INIT in wheel_members(wheel):
        return [f"{wheel.name} ships {NAMESPACE_INIT}: tinytorch must stay a namespace package"]
    return []


def milestone_problems(milestones, packages: dict[str, Package] | None = None) -> list[str]:
    """Scripts declared in a milestone.toml that are not in its folder, and
    ``also_requires`` entries that are not packages in the tree (when ``packages`` is given).

    ``unlocked_by`` may name a package that is still to be written (the milestone waits).
    """
    problems = [
        f"{m.folder / 'milestone.toml'} declares {s.file}, which is not in {m.folder}"
        for m in milestones
        for s in m.scripts
        if not (m.folder / s.file).is_file()
    ]
    if packages is not None:
        problems += [
            f"{m.folder / 'milestone.toml'}: also_requires names {name!r}, which is not a "
            f"package under packages/ (expected some of: {', '.join(packages)})"
            for m in milestones
            for name in m.also_requires
            if name not in packages
        ]
    return problems


def graph_problems(packages: dict[str, Package]) -> list[str]:
    """Declared tt-* ranges that do not admit the local versions."""
    return range_problems(packages)


def region_functions(package: Package) -> dict[str, str]:
    """Qualified name of every function holding a solution region -> its source file."""
    found = {}
    for source in sorted((package.path / "src").rglob("*.py")):
        text = source.read_text(encoding="utf-8")
        if BEGIN_MARK not in text:
            continue
        spans = function_spans(text)
        for region in find_regions(text.splitlines(), str(source)):
            name = enclosing_function(spans, region.begin + 1)
            if name is not None:
                found.setdefault(name, str(source.relative_to(package.path)))
    return found


def node_id_problem(package_dir: Path, node_id: str) -> str | None:
    """Why ``node_id`` (``tests/test_x.py::test_y``, relative to the package) names no test."""
    path, *names = node_id.split("::")
    file = package_dir / path
    if not file.is_file():
        return f"{path} is not a file of the package"
    if not names:
        return None
    try:
        scope = ast.parse(file.read_text(encoding="utf-8")).body
    except SyntaxError as error:
        return f"{path} does not parse ({error})"
    for name in names:
        name = name.split("[", 1)[0]   # a parametrized case names its function
        match = [n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                    ast.ClassDef)) and n.name == name]
        if not match:
            return f"{path} has no test or class {name!r}"
        scope = match[0].body if isinstance(match[0], ast.ClassDef) else []
    return None


def task_problems(packages: Iterable[Package], milestones=()) -> list[str]:
    """Problems with every package's tasks.toml against its solution regions and tests."""
    sessions = {m.session for m in milestones}
    problems = []
    for package in packages:
        where = package.path / TASKS_FILE
        regions = region_functions(package)
        try:
            tasks = read_tasks(package.path)
        except TaskListError as error:
            problems.append(str(error))
            continue
        if tasks is None:
            if regions:
                problems.append(f"{where} is missing: {package.name} has {len(regions)} "
                                "solution regions to put in tasks (see tools/ttdev/tasks.py)")
            continue
        owners: dict[str, list[str]] = {}
        names = [t.name for t in tasks]
        problems += [f"{where}: task name {n!r} is used {names.count(n)} times; names are unique"
                     for n in sorted(set(names)) if names.count(n) > 1]
        for task in tasks:
            for function in task.functions:
                owners.setdefault(function, []).append(task.name)
                if function not in regions:
                    problems.append(f"{where}: task {task.name!r} names {function!r}, which has "
                                    f"no solution region in {package.path / 'src'}")
            for node_id in task.tests:
                why = node_id_problem(package.path, node_id)
                if why:
                    problems.append(f"{where}: task {task.name!r} test {node_id!r}: {why}")
            if task.unlocks and sessions and task.unlocks not in sessions:
                expected = ", ".join(sorted(sessions))
                problems.append(f"{where}: task {task.name!r} unlocks {task.unlocks!r}, which "
                                f"is not a milestone (expected one of {expected})")
            if not task.tests:
                problems.append(f"{where}: task {task.name!r} lists no tests; name the tests "
                                "that pass once it is written")
        problems += [f"{where}: {function!r} ({source}) is in no task; add it to the task that "
                     "teaches it" for function, source in regions.items() if function not in owners]
        problems += [f"{where}: {function!r} is in several tasks ({', '.join(tasks_)}); keep it "
                     "in one" for function, tasks_ in owners.items() if len(tasks_) > 1]
    return problems
