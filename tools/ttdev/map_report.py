"""``nox -s map``: the packages in dependency order and the milestones they unlock, one screen.

Each milestone shows the package that unlocks it and, after ``+``, the
``also_requires`` packages its scripts use beyond that package's closure.
"""

from __future__ import annotations

from .graph import Package

TITLE_WIDTH = 34


def cut(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns, with ``...`` where it was cut."""
    return text if len(text) <= width else text[:width - 3] + "..."


def package_lines(packages: dict[str, Package], milestones) -> list[str]:
    """One line per package; ``needs`` lists its direct tt-* dependencies without the prefix."""
    lines = [f"{'package':<14} {'version':<7} {'import':<20} {'unlocks':<7} needs"]
    for package in packages.values():
        unlocks = [f"{m.number:02d}" for m in milestones if m.unlocked_by == package.name]
        needs = ", ".join(name.removeprefix("tt-") for name in package.dependency_names)
        lines.append(f"{package.name:<14} {str(package.version):<7} {package.import_name:<20} "
                     f"{', '.join(unlocks) or '-':<7} {needs or '-'}")
    return lines


def milestone_lines(packages: dict[str, Package], milestones) -> list[str]:
    """One line per milestone: the unlocking package, ``+`` each ``also_requires`` one."""
    lines = [f"{'session':<13} {'year':<5} {'title':<{TITLE_WIDTH}} {'packages':<24} state"]
    for m in milestones:
        needed = m.unlocked_by + "".join(f" + {name}" for name in m.also_requires)
        missing = [name for name in m.package_roots if name not in packages]
        state = "ready" if not missing else f"waiting: {', '.join(missing)}"
        lines.append(f"{m.session:<13} {m.year:<5} {cut(m.title, TITLE_WIDTH):<{TITLE_WIDTH}} "
                     f"{needed:<24} {state}")
    return lines


def format_map(packages: dict[str, Package], milestones) -> str:
    """The packages table, a blank line, the milestones table."""
    return "\n".join([*package_lines(packages, milestones), "",
                      *milestone_lines(packages, milestones)])
