"""Repository checks the lint session runs besides ruff.

- No package ships ``tinytorch/__init__.py``: ``tinytorch`` is a PEP 420
  namespace shared by every package, and one such file shadows the others.
- Every declared range on another tt-* package admits that package's local version.
- Every milestone's declared scripts exist, and its ``also_requires`` names packages.
- Package docstrings use the site's one markup: Markdown, ``$...$`` and ``$$...$$``
  for math, fenced code blocks. No Sphinx role (``:class:`X` ``, ``:math:`x` ``), reST
  directive (``.. math::``) or reST literal marker (a line ending in ``::``): the API
  reference is rendered by mkdocstrings as Markdown, which prints those as they are.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from .graph import Package, range_problems
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
