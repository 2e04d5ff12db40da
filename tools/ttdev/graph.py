"""The one model of the tree: its packages (``packages/*/pyproject.toml``) and milestones
(``milestones/NN_*/milestone.toml``, parsed by ``specs``), as ``read_tree`` returns them.

Each package declares the earlier tinytorch packages it needs in
``[project] dependencies`` (e.g. ``"tt-tensor>=0.1,<0.2"``); those declarations
are the only source of the graph. Versions come from the hatch version file
(``src/tinytorch/<name>/__about__.py``) or a static ``[project] version``.

The packages are kept in teaching order: a topological order (graphlib) in which,
among the packages whose dependencies are placed, the one the earliest milestone
needs comes first (``milestones/NN_*/milestone.toml`` declare what each milestone
needs), then by name. nox, the docs, the checks and the grader all read this order.
"""

from __future__ import annotations

import ast
import heapq
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Protocol

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from .specs import MilestoneSpec, discover_milestones

TT_PREFIX = "tt-"


class GraphError(ValueError):
    """The packages' pyproject files do not describe a usable dependency graph."""


class NeedsPackages(Protocol):
    """What the order reads from a milestone (``MilestoneSpec`` in the milestone spec)."""

    number: int

    @property
    def package_roots(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Package:
    """One tinytorch distribution in the tree."""

    name: str                       # canonical distribution name, e.g. "tt-tensor"
    path: Path                      # packages/tt-tensor
    version: Version
    requires: tuple[Requirement, ...]   # requirements on other tt-* packages, as declared
    import_name: str                # e.g. "tinytorch.tensor"
    description: str = ""           # [project] description

    def requirement_on(self, name: str) -> Requirement | None:
        """This package's requirement on the tt-* package ``name``, if it has one."""
        return next((r for r in self.requires if canonicalize_name(r.name) == name), None)

    @property
    def dependency_names(self) -> list[str]:
        """Canonical names of the tt-* packages this one depends on directly."""
        return [canonicalize_name(r.name) for r in self.requires]

    @property
    def deps(self) -> dict[str, str]:
        """Each direct tt-* dependency -> its version range as text (``>=0.3,<0.5``)."""
        return {canonicalize_name(r.name): range_text(r.specifier) for r in self.requires}

    @property
    def short(self) -> str:
        """``tt-nn`` -> ``nn``."""
        return self.name.removeprefix(TT_PREFIX)

    @property
    def src_dir(self) -> Path:
        """The module folder, ``packages/tt-nn/src/tinytorch/nn``."""
        return self.path.joinpath("src", *self.import_name.split("."))

    @property
    def has_source(self) -> bool:
        return (self.src_dir / "__init__.py").is_file()

    @property
    def changelog(self) -> Path:
        return self.path / "CHANGELOG.md"


def range_text(specifier: SpecifierSet) -> str:
    """A version range as a pyproject writes it: lower bounds first (``>=0.3,<0.5``)."""
    return ",".join(sorted((str(s) for s in specifier),
                           key=lambda text: (not text.startswith(">"), text)))


def read_version(package_dir: Path, project: dict, hatch: dict) -> Version:
    """Static ``[project] version``, else ``__version__`` in hatch's version file."""
    where = package_dir / "pyproject.toml"
    if "version" in project:
        return _parse_version(project["version"], where)
    relative = hatch.get("version", {}).get("path")
    candidates = [package_dir / relative] if relative else sorted(
        package_dir.glob("src/tinytorch/*/__about__.py"))
    if not candidates or not candidates[0].is_file():
        raise GraphError(
            f"{where}: no version found; expected [tool.hatch.version] path pointing at "
            f"src/tinytorch/<name>/__about__.py containing __version__ = \"X.Y.Z\""
        )
    return _parse_version(_dunder_version(candidates[0]), candidates[0])


def _dunder_version(path: Path) -> str:
    """The string assigned to ``__version__`` in ``path`` (read without importing it)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return node.value.value
    raise GraphError(f"{path}: expected a line __version__ = \"X.Y.Z\"")


def _parse_version(text: str, where: Path) -> Version:
    """Parse a PEP 440 version or say where the bad one is."""
    try:
        return Version(text)
    except InvalidVersion as error:
        raise GraphError(f"{where}: {text!r} is not a valid version (e.g. 0.1.0)") from error


def import_name_of(package_dir: Path, name: str) -> str:
    """``tinytorch.<x>`` for the single module folder under ``src/tinytorch/``; without one
    (no source yet), the module the name implies (``tt-nn`` -> ``tinytorch.nn``)."""
    modules = sorted(p.name for p in (package_dir / "src" / "tinytorch").glob("*")
                     if p.is_dir() and not p.name.startswith(("_", ".", "__")))
    if len(modules) == 1:
        return f"tinytorch.{modules[0]}"
    return "tinytorch." + name.removeprefix(TT_PREFIX).replace("-", "_")


def read_package(package_dir: Path) -> Package:
    """Read one ``packages/<dir>/pyproject.toml`` into a Package; GraphError naming the file
    when it is not valid TOML or its tables have the wrong types."""
    pyproject = package_dir / "pyproject.toml"
    try:
        return _read_package(package_dir, pyproject)
    except GraphError:
        raise
    except tomllib.TOMLDecodeError as error:
        raise GraphError(f"{pyproject}: not valid TOML: {error}") from error
    except (AttributeError, TypeError, OSError, UnicodeDecodeError) as error:
        raise GraphError(f"{pyproject}: cannot be read as a package's pyproject "
                         f"({type(error).__name__}: {error})") from error


def _read_package(package_dir: Path, pyproject: Path) -> Package:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data.get("project", {})
    if "name" not in project:
        raise GraphError(f"{pyproject}: [project] name is missing")
    dependencies = project.get("dependencies", [])
    if not isinstance(dependencies, list) or not all(isinstance(d, str) for d in dependencies):
        raise GraphError(f"{pyproject}: [project] dependencies must be a list of requirement "
                         f"strings such as \"tt-tensor>=0.1,<0.2\", got {dependencies!r}")
    requires = []
    for text in dependencies:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            raise GraphError(f"{pyproject}: bad dependency {text!r}: {error}") from error
        if canonicalize_name(requirement.name).startswith(TT_PREFIX):
            requires.append(requirement)
    name = canonicalize_name(project["name"])
    return Package(
        name=name,
        path=package_dir,
        version=read_version(package_dir, project, data.get("tool", {}).get("hatch", {})),
        requires=tuple(requires),
        import_name=import_name_of(package_dir, name),
        description=str(project.get("description", "")),
    )


def discover_packages(packages_dir: Path,
                      milestones: Iterable[NeedsPackages] = ()) -> dict[str, Package]:
    """Every package under ``packages_dir`` (folders with a pyproject.toml), in teaching order
    (``teaching_order``: dependencies first, then what the earliest milestone needs)."""
    found: dict[str, Package] = {}
    if packages_dir.is_dir():
        for pyproject in sorted(packages_dir.glob("*/pyproject.toml")):
            package = read_package(pyproject.parent)
            if package.name in found:
                raise GraphError(f"two packages are named {package.name}: "
                                 f"{found[package.name].path} and {package.path}")
            found[package.name] = package
    return {name: found[name] for name in teaching_order(found, milestones)}


def teaching_order(packages: Mapping[str, Package],
                   milestones: Iterable[NeedsPackages] = ()) -> list[str]:
    """Names sorted so every package follows its dependencies; among those ready, the one the
    earliest milestone needs first (its ``unlocked_by``/``also_requires`` closures), then by
    name. GraphError naming the packages of a dependency cycle."""
    first_needed: dict[str, int] = {}
    for milestone in sorted(milestones, key=lambda m: m.number):
        roots = [name for name in milestone.package_roots if name in packages]
        for name in _reachable(packages, roots):
            first_needed.setdefault(name, milestone.number)
    sorter = TopologicalSorter(
        {name: [d for d in p.dependency_names if d in packages] for name, p in packages.items()})
    try:
        sorter.prepare()
    except CycleError as error:   # args[1]: each node a dependency of the next
        cycle = " -> ".join(reversed(error.args[1]))
        raise GraphError(f"dependency cycle: {cycle} (each requires the next in its "
                         f"pyproject.toml)") from error
    ready: list[tuple[float, str]] = []
    order: list[str] = []
    while sorter.is_active():
        for name in sorter.get_ready():
            heapq.heappush(ready, (first_needed.get(name, math.inf), name))
        _, name = heapq.heappop(ready)
        order.append(name)
        sorter.done(name)
    return order


def _reachable(packages: Mapping[str, Package], roots: Iterable[str]) -> set[str]:
    """``roots`` and every package in the tree they depend on, transitively."""
    pending, seen = list(roots), set()
    while pending:
        name = pending.pop()
        if name in seen or name not in packages:
            continue
        seen.add(name)
        pending.extend(packages[name].dependency_names)
    return seen


def closure(packages: Mapping[str, Package], roots: Iterable[str] | str) -> list[str]:
    """``roots`` and everything they depend on, transitively, in the tree's order.

    GraphError when a root or a dependency is not a package in the tree.
    """
    names = [canonicalize_name(n) for n in ([roots] if isinstance(roots, str) else roots)]
    needed = _reachable(packages, names)
    absent = [n for n in names if n not in packages] + [
        d for n in needed for d in packages[n].dependency_names if d not in packages]
    if absent:
        known = ", ".join(packages) or "none yet"
        raise GraphError(f"{absent[0]} is not a package under packages/ (found: {known})")
    return [name for name in packages if name in needed]


def milestone_packages(milestone: NeedsPackages, packages: Mapping[str, Package]) -> list[str]:
    """What a milestone installs, in the tree's order: the closures of its ``unlocked_by`` and
    ``also_requires`` packages; those not in the tree yet last, by name."""
    roots = [name for name in milestone.package_roots if name]
    absent = sorted({name for name in roots if name not in packages})
    return closure(packages, [name for name in roots if name in packages]) + absent


def direct_edges(packages: Mapping[str, Package]) -> list[tuple[str, str]]:
    """Dependency edges ``(dependency, package)`` without those implied through another
    dependency (the transitive reduction that the package map draws)."""
    edges = []
    for package in packages.values():
        deps = [d for d in package.dependency_names if d in packages]
        for dep in deps:
            through = _reachable(packages, [d for d in deps if d != dep])
            if dep not in through:
                edges.append((dep, package.name))
    return edges


def range_problems(packages: dict[str, Package]) -> list[str]:
    """Declared tt-* requirements that name a missing package or exclude its local version."""
    problems = []
    for package in packages.values():
        for requirement in package.requires:
            dep = canonicalize_name(requirement.name)
            if dep not in packages:
                problems.append(f"{package.name} requires {requirement}, "
                                f"but there is no packages/{dep}")
            elif not requirement.specifier.contains(packages[dep].version, prereleases=True):
                problems.append(
                    f"{package.name} requires {requirement}, but the local {dep} is "
                    f"{packages[dep].version}: widen the range in "
                    f"{package.path / 'pyproject.toml'} or fix the version"
                )
    return problems


@dataclass(frozen=True)
class Tree:
    """The tree as nox, the docs, the checks and the grader read it: packages in teaching
    order (``discover_packages``), milestones in historical (number) order."""

    root: Path
    packages: dict[str, Package]
    milestones: list[MilestoneSpec]

    def missing(self, milestone: NeedsPackages) -> list[str]:
        """The packages ``milestone`` needs (``unlocked_by``, ``also_requires``) that are not
        under packages/ yet."""
        return [name for name in milestone.package_roots if name not in self.packages]

    def runnable(self, milestone: NeedsPackages) -> bool:
        """A milestone can run once the packages it needs exist."""
        return not self.missing(milestone)


def read_tree(root: Path) -> Tree:
    """The packages and milestones under ``root``; GraphError naming a pyproject that cannot be
    read or a dependency cycle, SpecError naming a milestone.toml that breaks the schema."""
    milestones = discover_milestones(root / "milestones")
    return Tree(root, discover_packages(root / "packages", milestones), milestones)
