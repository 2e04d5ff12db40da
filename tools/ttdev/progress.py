"""``nox -s progress``: one screen of where a student stands.

Per package, the functions still stubbed (read from the sources, see
``stubs.py``) and its tests passing and failing (JUnit XML files the session
wrote); per milestone, whether it is unlocked (every package it needs has
nothing left to write) and whether its last run passed (its results JSON
under ``results/milestones``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .graph import Package, closure
from .sandbox import read_junit
from .stubs import stubs_in_package

SHOWN_FUNCTIONS = 3
WIDTH = 100   # every line fits a 100-column terminal


@dataclass(frozen=True)
class PackageProgress:
    """One package: what is left to write and how its tests went (None: not run)."""

    name: str
    to_write: tuple[str, ...]
    passed: int | None
    failed: int | None


def package_progress(packages: dict[str, Package], junit_dir: Path) -> list[PackageProgress]:
    """Every package's stubs and test counts (from ``junit_dir/<name>.xml`` when present)."""
    rows = []
    for name, package in packages.items():
        report = junit_dir / f"{name}.xml"
        passed, failed = (None, None)
        if report.is_file():
            passed, failures = read_junit(report)
            failed = len(failures)
        rows.append(PackageProgress(name, tuple(stubs_in_package(package.path)), passed, failed))
    return rows


def milestone_state(milestone, packages: dict[str, Package], left: dict[str, int],
                    results_root: Path) -> str:
    """``locked: ...``, ``unlocked, not run yet``, ``unlocked, passed`` or ``unlocked, failed``."""
    missing = [n for n in milestone.package_roots if n not in packages]
    if missing:
        return f"waiting for {', '.join(missing)} (not in packages/ yet)"
    needed = closure(packages, list(milestone.package_roots))
    unfinished = [f"{n} {left[n]}" for n in needed if left.get(n)]
    if unfinished:
        return "locked, functions left: " + ", ".join(unfinished)
    reports = [results_root / milestone.name / f"{script.stem}.json"
               for script in milestone.default_scripts()]
    if not all(r.is_file() for r in reports):
        return f"unlocked, not run yet: nox -s {milestone.session}"
    try:
        runs = [json.loads(r.read_text()) for r in reports]
    except (OSError, ValueError) as error:
        return f"unlocked, results unreadable ({error}): run nox -s {milestone.session} again"
    mode = " (quick)" if any(run.get("quick") for run in runs) else " (full)"
    return f"unlocked, passed{mode}" if all(run.get("passed") for run in runs) \
        else f"unlocked, last run failed{mode}"


def _fit(line: str) -> str:
    """``line`` cut to :data:`WIDTH` columns, with ``...`` where it was cut."""
    return line if len(line) <= WIDTH else line[:WIDTH - 3] + "..."


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def package_lines(rows: list[PackageProgress]) -> list[str]:
    """One line per package and a total line: functions to write, tests passed and failed."""
    lines = [f"{'package':<14} {'to write':>8} {'passed':>7} {'failed':>7}   next to write"]
    for row in rows:
        upcoming = ", ".join(row.to_write[:SHOWN_FUNCTIONS])
        more = f", +{len(row.to_write) - SHOWN_FUNCTIONS}" if len(row.to_write) > SHOWN_FUNCTIONS \
            else ""
        lines.append(_fit(f"{row.name:<14} {len(row.to_write):>8} {_count(row.passed):>7} "
                          f"{_count(row.failed):>7}   {upcoming + more or 'done'}"))
    ran = [row for row in rows if row.passed is not None]
    passed = sum(row.passed for row in ran) if ran else None
    failed = sum(row.failed for row in ran) if ran else None
    to_write = sum(len(row.to_write) for row in rows)
    lines.append(f"{'total':<14} {to_write:>8} {_count(passed):>7} {_count(failed):>7}")
    return lines


def milestone_totals(states: list[str]) -> str:
    """``milestones: 2 passed (1 full, 1 quick only), 1 failed, 1 to run, 2 locked``."""
    passed = [s for s in states if s.startswith("unlocked, passed")]
    quick = sum(1 for s in passed if s.endswith("(quick)"))
    failed = sum(1 for s in states if s.startswith("unlocked, last run failed"))
    to_run = sum(1 for s in states if s.startswith("unlocked") and s not in passed) - failed
    locked = len(states) - len(passed) - failed - to_run
    return (f"milestones: {len(passed)} of {len(states)} passed ({len(passed) - quick} full, "
            f"{quick} quick only), {failed} failed, {to_run} to run, {locked} locked")


def format_progress(rows: list[PackageProgress], milestones, packages: dict[str, Package],
                    results_root: Path) -> str:
    """The screen: a package table with totals, then the milestones with totals."""
    lines = [*package_lines(rows), ""]
    left = {row.name: len(row.to_write) for row in rows}
    states = []
    for milestone in milestones:
        state = milestone_state(milestone, packages, left, results_root)
        states.append(state)
        title = milestone.title if len(milestone.title) <= 30 else milestone.title[:27] + "..."
        lines.append(_fit(f"{milestone.session}  {milestone.year}  {title:<30}  {state}"))
    lines.append(milestone_totals(states))
    return "\n".join(lines)
