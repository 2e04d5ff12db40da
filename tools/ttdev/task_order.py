"""Task-order independence: each task's tests pass once it and the tasks before it are written.

A student writes a package's tasks in the order of its ``tasks.toml``. Task k's tests must
then pass with tasks 1..k written and tasks k+1.. still stubs; a test that needs a later
task (an engine test that differentiates a product, a layer test that goes through a loss)
blocks a student who did everything asked so far. This module checks it mechanically: one
starter is written (``starter.write_starter``), the package's tasks are filled back in from
the reference one at a time (``fill.fill_functions``), and after each task that task's tests
run against the starter's sources (the other packages come from the reference). A failing
test is reported with the stub it hit and the task that stub belongs to.

``--placement`` answers the question behind a task list instead: it runs the package's whole
suite after each task (and before the first) and reports, for every test that is listed
under another task than the one it starts passing with, where it belongs. A parametrized
test whose cases start passing with different tasks is shown case by case.

    python -m ttdev.task_order --root ROOT [--placement] PACKAGE...   (nox -s task_order)

Exit status 1 when a task's tests need a later task (or name tests that do not run).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ttdev.fill import fill_functions
from ttdev.starter import write_starter
from ttdev.stubs import STUB_PATTERN
from ttdev.tasks import Task, read_tasks, task_of_function

RESULTS_ENV = "TT_TASK_ORDER_RESULTS"
# how the root conftest.py reports a test that hit a stub ("not implemented yet: tt-nn f (...")
SHORT_STUB = r"not implemented yet: (?P<package>tt-[\w-]+) (?P<function>[\w.]+) \(tinytorch starter"
PLUGIN = "tt_task_order_plugin"
# Loaded into each pytest run: one JSON line per test (node id, passed, the stub it hit).
# Property tests try a few examples and do not shrink their failures: pass or fail is all
# this check reads.
PLUGIN_SOURCE = '''
import json
import os
import re

import pytest

STUB = re.compile(__STUB__)
SHORT_STUB = re.compile(__SHORT_STUB__)   # the starter's conftest.py shortens a stub's failure
RESULTS = {}


def pytest_configure(config):
    try:
        from hypothesis import Phase, settings
    except ImportError:
        return
    settings.register_profile("tt-task-order", max_examples=10,
                              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("tt-task-order")


def pytest_runtest_logreport(report):
    entry = RESULTS.setdefault(report.nodeid, {"passed": True, "stub": None, "message": ""})
    if report.failed:
        entry["passed"] = False
        text = str(report.longrepr)
        found = STUB.search(text) or SHORT_STUB.search(text)
        if found and entry["stub"] is None:
            entry["stub"] = found.group("function")
        lines = [line for line in text.splitlines() if line.startswith("E ")]
        entry["message"] = entry["message"] or (lines[0][1:].strip() if lines else text[-300:])


def pytest_sessionfinish(session):
    with open(os.environ["__RESULTS_ENV__"], "w", encoding="utf-8") as out:
        json.dump(RESULTS, out)
'''


@dataclass(frozen=True)
class Outcome:
    """One test's result: passed (skips count as passed), the stub it hit, its first error."""

    passed: bool
    stub: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Finding:
    """A test of ``task`` that fails with tasks 1..task written."""

    task: Task
    test: str
    stub: str | None          # the function whose stub it hit, if any
    stub_task: Task | None    # that function's task
    message: str

    def describe(self) -> str:
        if self.stub_task is not None:
            why = f"hits the stub of {self.stub}, which is {self.stub_task.label()}"
        elif self.stub:
            why = f"hits the stub of {self.stub}, which is in no task"
        else:
            why = f"fails: {self.message or 'no error message'}"
        return f"{self.task.label()}: {self.test} {why}"


def covered(node: str, node_ids: Iterable[str]) -> bool:
    """True when the test ``node`` is one of ``node_ids`` (files, classes, tests, cases)."""
    base = node.split("[", 1)[0]
    return any(node == n or base == n or node.startswith(n + "::") for n in node_ids)


class Runner:
    """Runs a package's tests in a starter: the package's own sources from the starter,
    every other package's (and the tools, which the root conftest.py imports) from the
    reference, this interpreter, one fresh process per run."""

    def __init__(self, root: Path, starter: Path, package: str, work: Path):
        self.root, self.starter, self.package, self.work = root, starter, package, work
        work.mkdir(parents=True, exist_ok=True)
        plugin = work / f"{PLUGIN}.py"
        plugin.write_text(PLUGIN_SOURCE.replace("__STUB__", repr(STUB_PATTERN.pattern))
                          .replace("__SHORT_STUB__", repr(SHORT_STUB))
                          .replace("__RESULTS_ENV__", RESULTS_ENV), encoding="utf-8")
        others = [str(p / "src") for p in sorted((root / "packages").iterdir())
                  if p.name != package and (p / "src").is_dir()]
        self.env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1",
                    "PYTHONPATH": os.pathsep.join([str(starter / "packages" / package / "src"),
                                                   *others, str(work), str(root / "tools")])}
        self.runs = 0

    def run(self, node_ids: Iterable[str] | None = None) -> dict[str, Outcome]:
        """Test node id (relative to the package, as tasks.toml writes it) -> its outcome;
        ``None`` runs the package's whole suite."""
        prefix = f"packages/{self.package}/"
        targets = [prefix + n for n in dict.fromkeys(node_ids)] if node_ids is not None \
            else [prefix + "tests"]
        results = self.work / "results.json"
        results.unlink(missing_ok=True)
        timeout = ["--timeout=300"] if importlib.util.find_spec("pytest_timeout") else []
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "-p", "no:randomly", "-p", PLUGIN, *timeout, *targets]
        done = subprocess.run(command, cwd=self.starter, capture_output=True, text=True,
                              env={**self.env, RESULTS_ENV: str(results)}, check=False)
        self.runs += 1
        if not results.is_file():
            raise RuntimeError(f"pytest wrote no results (exit {done.returncode}):\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
        data = json.loads(results.read_text(encoding="utf-8"))
        if done.returncode in (2, 3, 4) and not data:   # interrupted, internal or usage error
            raise RuntimeError(f"pytest could not run {targets[:3]}...:\n{done.stdout[-2000:]}"
                               f"{done.stderr[-2000:]}")
        return {node.removeprefix(prefix): Outcome(**entry) for node, entry in data.items()}


def new_starter(root: Path, scratch: Path) -> Path:
    """A starter of the tree at ``root`` written into ``scratch/starter``."""
    starter = scratch / "starter"
    write_starter(root, starter)
    return starter


def check_order(root: Path, package: str, starter: Path, work: Path,
                log: Callable[[str], None] = print) -> tuple[list[Finding], list[str]]:
    """Fill ``package``'s tasks into ``starter`` one by one; after task k, run task k's tests.

    Returns the findings (a test of task k that fails with tasks 1..k written) and notes:
    tests of task k+1 that already pass once task k is written (they test something else
    than task k+1's functions), and listed node ids that ran no test."""
    tasks = read_tasks(root / "packages" / package) or []
    owner = task_of_function(tasks)
    runner = Runner(root, starter, package, work)
    findings, notes = [], []
    for task in tasks:
        started = time.monotonic()
        fill_functions(starter, root, package, set(task.functions))
        following = tasks[task.number] if task.number < len(tasks) else None
        results = runner.run([*task.tests, *(following.tests if following else ())])
        for node_id in task.tests:
            if not any(covered(node, [node_id]) for node in results):
                findings.append(Finding(task, node_id, None, None, "ran no test (not collected)"))
        failed = [Finding(task, node, r.stub, owner.get(r.stub or ""), r.message)
                  for node, r in sorted(results.items())
                  if not r.passed and covered(node, task.tests)]
        findings += failed
        if following:
            early = sorted(node for node, r in results.items() if r.passed
                           and covered(node, following.tests) and not covered(node, task.tests))
            notes += [f"{following.label()}: {what} after task {task.number}"
                      for what in _grouped(early)]
        ran = sum(covered(n, task.tests) for n in results)
        log(f"{package} {task.label()}: {ran} tests, {len(failed)} failing "
            f"({time.monotonic() - started:.1f} s)")
    return findings, notes


def _grouped(nodes: list[str]) -> list[str]:
    """``test_x[a]``, ``test_x[b]`` as one "2 cases of test_x already pass"."""
    cases: dict[str, list[str]] = {}
    for node in nodes:
        cases.setdefault(node.split("[", 1)[0], []).append(node)
    return [f"{base} already passes" if found == [base] else
            f"{len(found)} case(s) of {base} already pass" for base, found in cases.items()]


def listed_task(tasks: list[Task], node: str) -> Task | None:
    """The first task whose tests cover ``node``."""
    return next((t for t in tasks if covered(node, t.tests)), None)


def run_states(root: Path, package: str, starter: Path, work: Path,
               log: Callable[[str], None] = print) -> list[dict[str, Outcome]]:
    """The whole suite's outcomes before the first task (index 0) and after each task."""
    tasks = read_tasks(root / "packages" / package) or []
    runner = Runner(root, starter, package, work)
    states = [runner.run()]
    log(f"{package}: before any task, {sum(r.passed for r in states[0].values())} pass")
    for task in tasks:
        fill_functions(starter, root, package, set(task.functions))
        states.append(runner.run())
        log(f"{package} after {task.label()}: {sum(r.passed for r in states[-1].values())} pass")
    return states


def first_passing(states: list[dict[str, Outcome]]) -> dict[str, int | None]:
    """Test -> the first state from which it passes in every later one (None: never)."""
    found = {}
    for node in states[-1]:
        passing = [node in s and s[node].passed for s in states]
        found[node] = next((k for k in range(len(states)) if all(passing[k:])), None)
    return found


def placed_tests(tasks: list[Task], states: list[dict[str, Outcome]]) -> list[list[str]]:
    """Each task's test list as it should be: a test belongs to the task after which it
    starts passing; a test that passes before any task stays where it is listed (or
    unlisted). Entries that still hold only their task's tests are kept as written; the
    others are split into tests, and a parametrized test whose cases belong to different
    tasks into its cases. Entries that name no test that ran are dropped."""
    first = first_passing(states)
    member = {}
    for node, k in first.items():
        listed = listed_task(tasks, node)
        member[node] = k if k else (listed.number if listed else None)
    by_base: dict[str, list[str]] = {}
    for node in first:
        by_base.setdefault(node.split("[", 1)[0], []).append(node)
    placed = []
    for task in tasks:
        mine = {node for node, k in member.items() if k == task.number}
        kept = [entry for entry in task.tests
                if any(covered(n, [entry]) for n in first)
                and all(member[n] == task.number for n in first if covered(n, [entry]))]
        rest = sorted(n for n in mine if not covered(n, kept))
        added = []
        for node in rest:
            base = node.split("[", 1)[0]
            whole = base != node and all(member[n] == task.number for n in by_base[base])
            entry = base if whole else node
            if entry not in added:
                added.append(entry)
        placed.append(kept + added)
    return placed


def misplaced(tasks: list[Task], states: list[dict[str, Outcome]]) -> list[str]:
    """A line for every test listed under another task than the one it starts passing with,
    for every test that never passes, and for every listed node id that names no test."""
    ran = states[-1]
    lines = [f"{node_id}: listed under {task.label()} but names no test that ran"
             for task in tasks for node_id in task.tests
             if not any(covered(node, [node_id]) for node in ran)]
    for node, k in sorted(first_passing(states).items()):
        listed = listed_task(tasks, node)
        if k is None:
            lines.append(f"{node}: never passes, even with every task written")
        elif k and (listed is None or listed.number != k):
            lines.append(f"{node}: belongs to {tasks[k - 1].label()}; listed under "
                         f"{listed.label() if listed else 'no task'}")
    return lines


TESTS_ARRAY = re.compile(r"^tests = \[\n.*?^\]\n", re.MULTILINE | re.DOTALL)


def rewrite_tests(text: str, placed: list[list[str]]) -> str:
    """``tasks.toml``'s text with each task's multi-line ``tests = [...]`` replaced, in order."""
    arrays = list(TESTS_ARRAY.finditer(text))
    if len(arrays) != len(placed):
        raise ValueError(f"expected {len(placed)} multi-line tests arrays, found {len(arrays)}")
    for match, tests in reversed(list(zip(arrays, placed, strict=True))):
        body = "".join(f"    {json.dumps(t)},\n" for t in tests)
        text = text[:match.start()] + f"tests = [\n{body}]\n" + text[match.end():]
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s task_order --",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("packages", nargs="*", help="package names (default: every package "
                                                     "with a tasks.toml)")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--placement", action="store_true",
                        help="run the whole suite after each task and say where tests belong")
    parser.add_argument("--write", action="store_true",
                        help="with --placement: rewrite the tasks.toml tests lists to match")
    parser.add_argument("--starter", type=Path, default=None,
                        help="reuse this starter (written by nox -s starter; it is filled in)")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    names = args.packages or sorted(p.name for p in (root / "packages").iterdir()
                                    if (p / "tasks.toml").is_file())
    unknown = [n for n in names if not (root / "packages" / n / "tasks.toml").is_file()]
    if unknown:
        parser.error(f"no package with a tasks.toml under {root / 'packages'}: "
                     f"{', '.join(unknown)}")
    failing = False
    with tempfile.TemporaryDirectory(prefix="task-order-") as scratch:
        starter = args.starter or new_starter(root, Path(scratch))
        for name in names:
            work = Path(scratch) / name
            if args.placement or args.write:
                tasks = read_tasks(root / "packages" / name) or []
                states = run_states(root, name, starter, work)
                lines = misplaced(tasks, states)
                print(f"\n{name}: {len(lines)} test(s) listed elsewhere than where they belong")
                print("\n".join(f"  {line}" for line in lines))
                if args.write:
                    path = root / "packages" / name / "tasks.toml"
                    path.write_text(rewrite_tests(path.read_text(encoding="utf-8"),
                                                  placed_tests(tasks, states)), encoding="utf-8")
                    print(f"{name}: rewrote the tests lists of {path}")
                continue
            findings, notes = check_order(root, name, starter, work)
            failing = failing or bool(findings)
            first = findings[0].task.label() if findings else None
            print(f"\n{name}: " + (f"the first task whose tests need more is {first}"
                                   if findings else "every task's tests pass with the tasks "
                                   "before it only"))
            print("\n".join(f"  {f.describe()}" for f in findings))
            if notes:
                print(f"{name}: notes (tests that pass before their task)")
                print("\n".join(f"  {note}" for note in notes))
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
