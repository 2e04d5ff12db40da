"""The package dependency graph, read from ``packages/*/pyproject.toml``.

Each package declares the earlier tinytorch packages it needs in
``[project] dependencies`` (e.g. ``"tt-tensor>=0.1,<0.2"``); those declarations
are the only source of the graph. Versions come from the hatch version file
(``src/tinytorch/<name>/__about__.py``) or a static ``[project] version``.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

TT_PREFIX = "tt-"


class GraphError(ValueError):
    """The packages' pyproject files do not describe a usable dependency graph."""


@dataclass(frozen=True)
class Package:
    """One tinytorch distribution in the tree."""

    name: str                       # canonical distribution name, e.g. "tt-tensor"
    path: Path                      # packages/tt-tensor
    version: Version
    requires: tuple[Requirement, ...]   # requirements on other tt-* packages
    import_name: str                # e.g. "tinytorch.tensor"

    def requirement_on(self, name: str) -> Requirement | None:
        """This package's requirement on the tt-* package ``name``, if it has one."""
        return next((r for r in self.requires if canonicalize_name(r.name) == name), None)

    @property
    def dependency_names(self) -> list[str]:
        """Canonical names of the tt-* packages this one depends on directly."""
        return [canonicalize_name(r.name) for r in self.requires]


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


def import_name_of(package_dir: Path) -> str:
    """``tinytorch.<x>`` for the single module folder under ``src/tinytorch/``."""
    modules = sorted(p.name for p in (package_dir / "src" / "tinytorch").glob("*")
                     if p.is_dir() and not p.name.startswith(("_", ".")))
    return f"tinytorch.{modules[0]}" if len(modules) == 1 else "tinytorch.?"


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
    requires = []
    for text in project.get("dependencies", []):
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            raise GraphError(f"{pyproject}: bad dependency {text!r}: {error}") from error
        if canonicalize_name(requirement.name).startswith(TT_PREFIX):
            requires.append(requirement)
    return Package(
        name=canonicalize_name(project["name"]),
        path=package_dir,
        version=read_version(package_dir, project, data.get("tool", {}).get("hatch", {})),
        requires=tuple(requires),
        import_name=import_name_of(package_dir),
    )


def discover_packages(packages_dir: Path) -> dict[str, Package]:
    """Every package under ``packages_dir`` (folders with a pyproject.toml), in dependency order.

    Dependencies come before their dependents; ties are broken by name.
    """
    found: dict[str, Package] = {}
    if packages_dir.is_dir():
        for pyproject in sorted(packages_dir.glob("*/pyproject.toml")):
            package = read_package(pyproject.parent)
            if package.name in found:
                raise GraphError(f"two packages are named {package.name}: "
                                 f"{found[package.name].path} and {package.path}")
            found[package.name] = package
    return {name: found[name] for name in topological_order(found)}


def topological_order(packages: dict[str, Package]) -> list[str]:
    """Names sorted so every package follows its dependencies; GraphError on a cycle."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            raise GraphError("dependency cycle: " + " -> ".join([*trail, name]))
        state[name] = "visiting"
        for dep in sorted(packages[name].dependency_names):
            if dep in packages:
                visit(dep, [*trail, name])
        state[name] = "done"
        order.append(name)

    for name in sorted(packages):
        visit(name, [])
    return order


def closure(packages: dict[str, Package], roots: list[str] | str) -> list[str]:
    """``roots`` and everything they depend on, transitively, in dependency order.

    GraphError when a root or a dependency is not a package in the tree.
    """
    pending = [roots] if isinstance(roots, str) else list(roots)
    needed: set[str] = set()
    while pending:
        name = canonicalize_name(pending.pop())
        if name in needed:
            continue
        if name not in packages:
            known = ", ".join(packages) or "none yet"
            raise GraphError(f"{name} is not a package under packages/ (found: {known})")
        needed.add(name)
        pending.extend(packages[name].dependency_names)
    return [name for name in packages if name in needed]


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
