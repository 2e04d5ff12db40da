"""Repository checks the lint session runs besides ruff.

- No package ships ``tinytorch/__init__.py``: ``tinytorch`` is a PEP 420
  namespace shared by every package, and one such file shadows the others.
- Every declared range on another tt-* package admits that package's local version.
- Every milestone's declared scripts exist, and its ``also_requires`` names packages.
- No package source uses Sphinx roles (``:class:`X` ``): the API reference is
  rendered by mkdocstrings as Markdown, which would print them as they are.
"""

from __future__ import annotations

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


def sphinx_role_problems(packages: Iterable[Package]) -> list[str]:
    """Lines of package sources with a Sphinx role, which the Markdown API pages show raw."""
    problems = []
    for package in packages:
        for source in sorted((package.path / "src").rglob("*.py")):
            for number, line in enumerate(source.read_text().splitlines(), start=1):
                if SPHINX_ROLE.search(line):
                    problems.append(
                        f"{source}:{number}: a Sphinx role, shown raw in the API reference; "
                        "write ``name`` instead"
                    )
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
