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
    mode = " (quick)" if any(run.get("quick") for run in runs) else ""
    return f"unlocked, passed{mode}" if all(run.get("passed") for run in runs) \
        else f"unlocked, last run failed{mode}"


def format_progress(rows: list[PackageProgress], milestones, packages: dict[str, Package],
                    results_root: Path) -> str:
    """The screen: a package table, then a milestone table."""
    lines = [f"{'package':<14} {'to write':>8} {'tests passed':>13} {'failed':>7}   next to write"]
    for row in rows:
        passed = "-" if row.passed is None else str(row.passed)
        failed = "-" if row.failed is None else str(row.failed)
        upcoming = ", ".join(row.to_write[:SHOWN_FUNCTIONS])
        more = f", +{len(row.to_write) - SHOWN_FUNCTIONS}" if len(row.to_write) > SHOWN_FUNCTIONS \
            else ""
        lines.append(f"{row.name:<14} {len(row.to_write):>8} {passed:>13} {failed:>7}   "
                     f"{upcoming + more or 'done'}")
    left = {row.name: len(row.to_write) for row in rows}
    lines.append("")
    for milestone in milestones:
        state = milestone_state(milestone, packages, left, results_root)
        lines.append(f"{milestone.session}  {milestone.year}  {milestone.title[:34]:<34}  {state}")
    return "\n".join(lines)
