"""``nox -s progress``: one screen of where a student stands.

Per package, the functions still stubbed (read from the sources, see
``stubs.py``) and its tests passing and failing (JUnit XML files the session
wrote); per milestone, whether it is unlocked (every package it needs has
nothing left to write) and whether its last run passed (its results JSON
under ``results/milestones``). Where a package lists its tasks (``tasks.toml``), the
next task to write and every task, in order, done or left, by the same names as the
stub messages. Skipped tests are counted apart, with their reasons (the PyTorch oracle
tests skip where torch is not installed: "no torch"). Each test runs under a time limit
(pytest-timeout, ``--timeout``): a function that loops costs one timeout, and the screen
names the test that hit it.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .graph import Package, closure
from .map_report import cut
from .sandbox import read_junit
from .stubs import stubs_in_package
from .tasks import Task, TaskListError, read_tasks, task_command

TEST_TIMEOUT = 60.0   # seconds per test in ``nox -s progress`` (``-- --timeout SECONDS``)
TIMEOUT_MESSAGE = "Timeout"   # how pytest-timeout's failure message starts (after "Failed: ")

SHOWN_FUNCTIONS = 3
WIDTH = 100   # every line fits a 100-column terminal


@dataclass(frozen=True)
class PackageProgress:
    """One package: what is left to write and how its tests went (None: not run)."""

    name: str
    to_write: tuple[str, ...]
    passed: int | None
    failed: int | None
    tasks: tuple[Task, ...] = ()
    timed_out: tuple[str, ...] = field(default=())
    task_error: str = ""
    skipped: tuple[str, ...] = ()   # each skipped test's reason, short (``skip_reason``)

    def tasks_left(self) -> list[Task]:
        """The tasks with a function still stubbed, in order."""
        return [t for t in self.tasks if set(t.functions) & set(self.to_write)]


# pytest.importorskip's reason when torch does not import (require_torch.TORCH_SKIP: not
# imported from there, as that plugin imports pytest, which nox's own venv does not have)
TORCH_SKIP = "could not import 'torch'"
NO_TORCH = "no torch"
SKIP_REASON_WIDTH = 40


def skip_reason(text: str) -> str:
    """A skip's reason, short: ``no torch`` for a PyTorch oracle test where torch does not
    import, else pytest's own reason cut to a few words."""
    if TORCH_SKIP in text:
        return NO_TORCH
    text = " ".join(text.split())
    return cut(text, SKIP_REASON_WIDTH)


def timed_out_tests(report: Path) -> list[str]:
    """``test_file::test_name`` of every test in a JUnit XML file stopped by its time limit."""
    found = []
    for case in ET.parse(report).getroot().iter("testcase"):
        for child in case:
            message = (child.get("message") or "").removeprefix("Failed: ")
            if child.tag in ("failure", "error") and message.startswith(TIMEOUT_MESSAGE):
                module = case.get("classname", "").rsplit(".tests.", 1)[-1]
                found.append(f"{module}::{case.get('name', '')}")
    return found


def package_progress(packages: dict[str, Package], junit_dir: Path) -> list[PackageProgress]:
    """Every package's stubs, tasks and test counts (``junit_dir/<name>.xml`` when present)."""
    rows = []
    for name, package in packages.items():
        report = junit_dir / f"{name}.xml"
        passed, failed, timed_out, skipped = (None, None, [], ())
        if report.is_file():
            junit = read_junit(report)
            passed, failed = junit.passed, len(junit.failed) + len(junit.not_implemented)
            timed_out = timed_out_tests(report)
            skipped = tuple(map(skip_reason, junit.skipped))
        try:
            tasks, problem = tuple(read_tasks(package.path) or ()), ""
        except TaskListError as error:
            tasks, problem = (), str(error)
        rows.append(PackageProgress(name, tuple(stubs_in_package(package.path)), passed, failed,
                                    tasks, tuple(timed_out), problem, skipped))
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
    return cut(line, WIDTH)


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def package_lines(rows: list[PackageProgress]) -> list[str]:
    """One line per package and a total line: functions to write, tests passed, failed and
    skipped; then why tests were skipped."""
    lines = [f"{'package':<14} {'to write':>8} {'passed':>7} {'failed':>7} {'skipped':>7}   "
             f"next to write"]
    for row in rows:
        skipped = None if row.passed is None else len(row.skipped)
        lines.append(_fit(f"{row.name:<14} {len(row.to_write):>8} {_count(row.passed):>7} "
                          f"{_count(row.failed):>7} {_count(skipped):>7}   {_next(row)}"))
    ran = [row for row in rows if row.passed is not None]
    passed = sum(row.passed for row in ran) if ran else None
    failed = sum(row.failed for row in ran) if ran else None
    skipped = sum(len(row.skipped) for row in ran) if ran else None
    to_write = sum(len(row.to_write) for row in rows)
    lines.append(f"{'total':<14} {to_write:>8} {_count(passed):>7} {_count(failed):>7} "
                 f"{_count(skipped):>7}")
    return lines + skip_lines(ran)


def skip_lines(rows: list[PackageProgress]) -> list[str]:
    """``tt-tensor: 45 tests skipped (45 no torch)`` per package with skips and, when torch
    is why, where those tests do run."""
    lines = [_fit(f"{row.name}: {len(row.skipped)} tests skipped ("
                  + ", ".join(f"{count} {reason}" for reason, count in
                              Counter(row.skipped).most_common()) + ")")
             for row in rows if row.skipped]
    if any(NO_TORCH in row.skipped for row in rows):
        lines.append('  no torch: the PyTorch oracle tests run where torch is installed '
                     '(nox -s "test(<package>)")')
    return lines


def _next(row: PackageProgress) -> str:
    """The next task and its functions, else the next functions; ``done`` when none is left."""
    left = row.tasks_left()
    if left:
        todo = [f for f in left[0].functions if f in row.to_write]
        return f"task {left[0].number} {left[0].name}: {_shown(todo)}"
    return _shown(list(row.to_write)) or "done"


def _shown(functions: list[str]) -> str:
    """The first few of ``functions`` and how many more."""
    more = len(functions) - SHOWN_FUNCTIONS
    return ", ".join(functions[:SHOWN_FUNCTIONS]) + (f", +{more}" if more > 0 else "")


def task_lines(rows: list[PackageProgress]) -> list[str]:
    """Every task of the packages with work left, in order, done or left, and the command of
    the next one (a package whose tasks are all done takes one line); then the tests
    stopped by their time limit."""
    lines = []
    for row in rows:
        if row.task_error:
            lines.append(f"{row.name}: {row.task_error}")
        if not row.tasks:
            continue
        left = row.tasks_left()
        if not left:
            lines.append(f"{row.name}: all {len(row.tasks)} tasks done")
            continue
        lines.append(f"{row.name}: {len(row.tasks) - len(left)} of {len(row.tasks)} tasks done, "
                     f"next: {task_command(row.name, left[0].name)}")
        for task in row.tasks:
            todo = [f for f in task.functions if f in row.to_write]
            state = f"left ({len(todo)} of {len(task.functions)} functions)" if todo else "done"
            unlocks = f", then {task.unlocks} unlocks" if task.unlocks else ""
            lines.append(_fit(f"  {task.number:>2}. {task.name:<24} {state}{unlocks}"))
    for row in rows:
        lines += [f"{row.name}: {test} hit the time limit (a function that never returns?); "
                  f"the rest of {row.name}'s tests did not run" for test in row.timed_out]
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
    tasks = task_lines(rows)
    lines = [*package_lines(rows), "", *tasks, *([""] if tasks else [])]
    left = {row.name: len(row.to_write) for row in rows}
    states = []
    for milestone in milestones:
        state = milestone_state(milestone, packages, left, results_root)
        states.append(state)
        lines.append(_fit(f"{milestone.session}  {milestone.year}  {cut(milestone.title, 30):<30}  "
                          f"{state}"))
    lines.append(milestone_totals(states))
    return "\n".join(lines)
