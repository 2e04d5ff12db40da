"""What ``isolate`` and ``grade`` check, and the wheels they mix.

A target is a package's tests or a milestone (``sandbox.Target``); the
student's wheels are built from a tree, the reference's are picked from a
wheelhouse within the ranges the packages declare.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import integrity
from .graph import Package, closure
from .install import find_reference_wheel, required_range
from .sandbox import RunTimeout, SandboxError, Target, build_wheel


class TargetError(LookupError):
    """The command line names no package or milestone of this tree."""


MISSING, UNBUILT = "missing", "error"


@dataclass(frozen=True)
class Unbuilt:
    """Why a student package has no wheel: ``status`` is ``missing`` (the tree has no such
    package) or ``error`` (it does not build, cannot be read, or is refused); ``reason``
    says so in words (what ``str()`` gives)."""

    status: str
    reason: str

    def __str__(self) -> str:
        return self.reason


def package_target(name: str, packages: dict[str, Package]) -> Target:
    """The tests of package ``name`` (from its folder in the tree that ``packages`` came from)."""
    return Target("package", name, (name,), tests=packages[name].path / "tests")


def milestone_target(milestone) -> Target:
    """A milestone's default scripts in quick mode, with its packages and requirements."""
    return Target("milestone", milestone.session, tuple(milestone.package_roots),
                  milestone=milestone, requirements=tuple(milestone.requirements),
                  no_deps=tuple(milestone.requirements_no_deps))


def resolve_target(text: str, packages: dict[str, Package], milestones) -> Target:
    """``tt-nn`` (its tests), or a milestone as ``milestone_02``, ``02``, ``2`` or its folder."""
    if text in packages:
        return package_target(text, packages)
    wanted = text.removeprefix("milestone_").split("_")[0]
    for milestone in milestones:
        if text in (milestone.session, milestone.name) or (
                wanted.isdigit() and int(wanted) == milestone.number):
            missing = [n for n in milestone.package_roots if n not in packages]
            if missing:
                raise TargetError(f"{milestone.session} needs {', '.join(missing)}, "
                                  f"which is not under packages/ yet")
            return milestone_target(milestone)
    raise TargetError(f"{text!r} is neither a package ({', '.join(packages)}) nor a milestone "
                      f"({', '.join(m.session for m in milestones)})")


def target_packages(target: Target, packages: dict[str, Package]) -> list[str]:
    """The packages a target's environment needs, in dependency order."""
    return closure(packages, list(target.roots))


def reference_wheels(names: Sequence[str], packages: dict[str, Package],
                     wheelhouse: Path) -> dict[str, Path]:
    """The reference wheel of each package, newest within the ranges the others declare.

    SourceError (from ``install``) when one is missing.
    """
    return {n: find_reference_wheel(wheelhouse, n, required_range(n, names, packages))
            for n in names}


def student_wheels(packages: dict[str, Package], names: Sequence[str], out: Path,
                   timeout: float, reference: dict[str, Package] | None = None,
                   root: Path | None = None,
                   find_links: Sequence[Path] = ()) -> dict[str, Path | Unbuilt]:
    """Build each package's wheel from the student's tree; a failure is kept as an
    :class:`Unbuilt` saying why.

    With ``reference`` (the grader's packages) and ``root`` (the student's tree), each
    package is built from the reference's build files with the student's ``src/``
    (``integrity.student_build_tree``): no student build code runs, and a symlink
    leaving ``root`` refuses the package. ``find_links``: folders holding the build
    backend's wheels (a wheelhouse's ``build-tools/``) for a first build with no index.
    """
    built: dict[str, Path | Unbuilt] = {}
    for name in names:
        if name not in packages:
            built[name] = Unbuilt(MISSING, "missing: the student's tree has no such package")
            continue
        try:
            source = packages[name].path
            if reference is not None:
                source = integrity.student_build_tree(source, reference[name].path, root,
                                                      out / name / "source")
            built[name] = build_wheel(source, out / name / "wheel", timeout, find_links)
        except (SandboxError, RunTimeout) as error:
            built[name] = Unbuilt(UNBUILT, f"does not build: {error}")
        except integrity.IntegrityError as error:
            built[name] = Unbuilt(UNBUILT, str(error))
    return built
