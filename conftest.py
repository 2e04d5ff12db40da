"""Repository-wide pytest hooks: a starter's unwritten functions as a short list; with
``TT_REQUIRE_TORCH=1``, no PyTorch oracle test may skip (tools/ttdev/require_torch.py);
a test that hits pytest-timeout's limit stops the run (one timeout per hanging function).

In a student starter (``nox -s starter``) each function still to write raises
``NotImplementedError("tinytorch starter: tt-nn Linear.forward is not
implemented yet. ...")``. A test that hits one fails with that one line instead
of a traceback, and the end of the run lists the functions still to write, by
package, with how many tests each one blocks. Other failures are untouched.

pytest loads this file for every run from the repository root (``rootdir`` is
the root, which holds the pytest configuration in ``pyproject.toml``), including
``nox -s "test(tt-nn)"``, which runs ``pytest packages/tt-nn/tests``.

It imports the tools package ``ttdev`` (``tools/``): every nox session that runs pytest
installs it, and so does grading's environment; by hand, ``pip install -e tools``.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

try:
    from ttdev import require_torch
    from ttdev import stubs as _stubs  # the one definition of the stub message
    from ttdev import tasks as _tasks  # the packages' task lists (tasks.toml)
except ModuleNotFoundError as _missing:
    if _missing.name != "ttdev":
        raise
    raise pytest.UsageError("the tests need the tools package ttdev in this Python: "
                            "`pip install -e tools` (nox sessions install it)") from None


def pytest_configure(config):
    """With TT_REQUIRE_TORCH=1, PyTorch oracle skips fail (tools/ttdev/require_torch.py)."""
    config.pluginmanager.register(require_torch, "tinytorch-require-torch")
BLOCKED = pytest.StashKey[dict]()
ROOT = Path(__file__).resolve().parent


def _skip_hypothesis_explain_phase_in_a_starter() -> None:
    """In a starter most property tests fail at first, and hypothesis's explain phase
    (replaying ~100 examples per failure, writing patch files) would take minutes."""
    if not (ROOT / _stubs.STARTER_MARKER).is_file():
        return
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    phases = [phase for phase in Phase if phase is not Phase.explain]
    settings.register_profile("tinytorch-starter", phases=phases)
    settings.load_profile("tinytorch-starter")


_skip_hypothesis_explain_phase_in_a_starter()


def starter_stub(error: BaseException | None) -> tuple[str, str] | None:
    """(package, function) when ``error``, or an error it came from, is a starter stub.

    An exception group (Hypothesis raises one when a stub fails a property test at two
    places) is a stub when every exception in it is one: the first stub found names it.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, BaseExceptionGroup):
            found = [starter_stub(inner) for inner in error.exceptions]
            return found[0] if found and all(found) else None
        if isinstance(error, NotImplementedError):
            found = _stubs.parse_stub(str(error))
            if found:
                return found
        error = error.__cause__ or error.__context__
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item, call):
    """A failure caused by a starter stub becomes a one-line report (no traceback to format,
    which for hundreds of failures would take most of the run); remember what it blocks."""
    if call.excinfo is None:
        return None
    _stop_after_a_timeout(item, call.excinfo.value)
    found = starter_stub(call.excinfo.value)
    if found is None:
        return None
    package, function = found
    short = copy.copy(call)
    # A failure whose excinfo is not an ExceptionInfo is reported as that text, as it is.
    short.excinfo = f"not implemented yet: {package} {function} (tinytorch starter stub)"
    report = pytest.TestReport.from_item_and_call(item, short)
    report.tinytorch_stub = True
    item.config.stash.setdefault(BLOCKED, {}).setdefault(found, set()).add(item.nodeid)
    return report


TIMEOUT_FAILURE = "Timeout"   # how pytest-timeout's failure starts ("Timeout (>60.0s) from ...")


def _stop_after_a_timeout(item, error: BaseException) -> None:
    """A test that ran past its time limit (pytest-timeout, which ``nox -s progress`` and
    ``nox -s task`` use) stops the run: a function that never returns would otherwise cost
    one timeout for every test that calls it. The reason pytest prints names the test."""
    if type(error).__name__ == "Failed" and str(error).startswith(TIMEOUT_FAILURE):
        item.session.shouldstop = (f"{item.nodeid} hit the time limit ({error}): the code it "
                                   "calls may never return; the remaining tests did not run")


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A test file that cannot even be imported because it calls a stub at module level:
    a one-line error, and the other files still run (no "Interrupted" after collection)."""
    report = yield
    text = str(report.longrepr) if report.failed else ""
    stubbed = f"NotImplementedError: {_stubs.STUB_PREFIX}" in text
    found = _stubs.parse_stub(text) if stubbed else None
    if found is not None:
        package, function = found
        report.longrepr = (f"not implemented yet: {package} {function} "
                           f"(tinytorch starter stub; this whole file cannot be collected)")
        collector.config.option.continue_on_collection_errors = True
        blocked = collector.config.stash.setdefault(BLOCKED, {})
        blocked.setdefault(found, set()).add(f"{collector.nodeid} (whole file)")
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report, config):
    """Count stub failures as "not implemented" (letter N), apart from real failures.

    They still fail the run, but stay out of the FAILURES section and the short summary.
    """
    if getattr(report, "tinytorch_stub", False):
        return NOT_IMPLEMENTED, "N", ("NOT IMPLEMENTED", {"yellow": True})
    return None


NOT_IMPLEMENTED = "not implemented"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """After pytest's own summary: the functions still to write, by package, with the
    number of tests each one blocks."""
    result = yield
    blocked = config.stash.get(BLOCKED, {})
    if blocked:
        _print_blocked(terminalreporter, blocked)
    return result


def _print_blocked(writer, blocked: dict) -> None:
    """The list itself: per package, its tasks in order, each with its functions still to
    write and how many tests each blocks (functions in no task last)."""
    writer.section("not implemented yet (tinytorch starter)", sep="=", yellow=True)
    for package in sorted({package for package, _ in blocked}):
        functions = {f: tests for (p, f), tests in blocked.items() if p == package}
        writer.line(f"{package}: {len(functions)} function(s)")
        for heading, names in _by_task(package, functions):
            if heading:
                writer.line(f"  {heading}")
            for function in names:
                writer.line(f"    {function:<40} blocks {_blocks(functions[function])}")
    writer.line("Write them task by task, in this order, and run each task's tests; "
                "`nox -s progress` shows every package.")


def _by_task(package: str, functions: dict) -> list[tuple[str, list[str]]]:
    """(heading, functions) per task of ``package`` in the task list's order; a function in
    no task (or a package without tasks.toml) goes last, under an empty heading."""
    try:
        tasks = _tasks.read_tasks(ROOT / "packages" / package) or []
    except _tasks.TaskListError:
        tasks = []
    groups, placed = [], set()
    for task in tasks:
        names = [f for f in task.functions if f in functions]
        if names:
            command = _tasks.task_command(package, task.name)
            groups.append((f"{task.label()}: {command}", names))
            placed.update(names)
    rest = sorted(f for f in functions if f not in placed)
    return groups + ([("other functions" if groups else "", rest)] if rest else [])


def _blocks(tests: set[str]) -> str:
    """``3 tests and 1 whole test file``."""
    count, files = _count(tests, whole=False), _count(tests, whole=True)
    blocks = [f"{count} test{'s' * (count != 1)}"] if count else []
    blocks += [f"{files} whole test file{'s' * (files != 1)}"] if files else []
    return " and ".join(blocks)


def _count(node_ids: set[str], whole: bool) -> int:
    """How many of ``node_ids`` are whole test files (``whole``) or single tests."""
    return sum(node_id.endswith("(whole file)") == whole for node_id in node_ids)
