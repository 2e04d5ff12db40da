"""End-to-end: a fresh starter, filled back in task by task, advances as its task lists say.

The reference's solution regions of each task's functions are copied back into the starter
(``ttdev.fill``), in task order, package after package. After each task: the tests of
every task so far pass, more tests pass than before, and the milestone the task list says
it unlocks is locked before that task and unlocked after it (as ``nox -s progress`` reads
it). When a package is finished it passes every test (or exactly those the reference
passes, when the reference fails some).
"""

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from ttdev.fill import fill_functions
from ttdev.graph import discover_packages
from ttdev.progress import milestone_state, package_progress
from ttdev.specs import discover_milestones
from ttdev.starter import write_starter
from ttdev.stubs import stubs_in_package
from ttdev.tasks import read_tasks

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]
FILLED = ["tt-tensor", "tt-autograd"]   # in dependency order, each fully (about 25 test runs)
CASE = re.compile(r"^packages\.(?P<package>[\w-]+)\.(?P<module>.+)$")
# Pass or fail is all this test reads: property tests try a few examples and do not shrink
# their failures (loaded after the root conftest.py's own profile), in starter and reference.
FAST_HYPOTHESIS = """
def pytest_configure(config):
    from hypothesis import Phase, settings
    settings.register_profile("e2e-tasks", max_examples=10,
                              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("e2e-tasks")
"""


def run_tests(tree: Path, package: str, report: Path) -> dict[str, bool]:
    """``tests/test_x.py::test_y[case]`` -> passed (skips count as passed), from one run of
    the package's tests in ``tree`` (its own sources on the path)."""
    plugin = report.parent / "e2e_fast_hypothesis.py"
    plugin.write_text(FAST_HYPOTHESIS)
    sources = [str(p) for p in sorted((tree / "packages").glob("*/src"))] + [str(plugin.parent)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sources), "OPENBLAS_NUM_THREADS": "1"}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    "-p", "e2e_fast_hypothesis", "--timeout=120", f"--junitxml={report}",
                    f"packages/{package}/tests"],
                   cwd=tree, env=env, capture_output=True, text=True, timeout=900, check=False)
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        match = CASE.match(case.get("classname", ""))
        module = match["module"] if match else case.get("classname", "")
        node = f"{module.replace('.', '/')}.py::{case.get('name', '')}"
        results[node] = not ({child.tag for child in case} & {"failure", "error"})
    return results


def covered(node: str, node_ids) -> bool:
    """True when the test ``node`` is one of ``node_ids`` (files, tests, parametrized cases)."""
    base = node.split("[", 1)[0]
    return any(node == n or base == n or node.startswith(n + "::") for n in node_ids)


def milestone_states(tree: Path, junit: Path) -> dict[str, str]:
    """Each milestone's state as ``nox -s progress`` shows it (``locked, ...``, ``unlocked...``)."""
    packages = discover_packages(tree / "packages")
    left = {row.name: len(row.to_write) for row in package_progress(packages, junit)}
    return {m.session: milestone_state(m, packages, left, tree / "results" / "milestones")
            for m in discover_milestones(tree / "milestones")}


def test_a_starter_filled_in_task_order_advances_as_the_task_lists_say(tmp_path):
    starter = tmp_path / "starter"
    write_starter(ROOT, starter)
    junit = tmp_path / "junit"
    junit.mkdir()
    for package in FILLED:
        tasks = read_tasks(ROOT / "packages" / package)
        assert tasks, f"{package} has no tasks.toml"
        unlocked_here = {t.unlocks for t in tasks if t.unlocks}
        passing = sum(run_tests(starter, package, junit / f"{package}-0.xml").values())
        for task in tasks:
            before = milestone_states(starter, junit)
            fill_functions(starter, ROOT, package, set(task.functions))
            results = run_tests(starter, package, junit / f"{package}-{task.number}.xml")
            done = [n for t in tasks[:task.number] for n in t.tests]
            failing = [n for n, ok in results.items() if covered(n, done) and not ok]
            assert not failing, (f"{package} {task.label()}: tests of the tasks so far still "
                                 f"fail: {failing[:5]}")
            assert any(covered(n, task.tests) for n in results), \
                f"{package} {task.label()}: none of its tests ran"
            now = sum(results.values())
            assert now > passing, f"{package} {task.label()}: no more tests pass ({now})"
            passing = now
            after = milestone_states(starter, junit)
            for milestone in unlocked_here:
                if milestone == task.unlocks:
                    assert before[milestone].startswith("locked") \
                        and after[milestone].startswith("unlocked"), (before, after)
                elif task.number < next(t.number for t in tasks if t.unlocks == milestone):
                    assert after[milestone].startswith("locked"), (task.name, after)
        assert stubs_in_package(starter / "packages" / package) == []
        failing = sorted(n for n, ok in results.items() if not ok)
        if failing:   # only where the reference fails too
            reference = run_tests(ROOT, package, junit / f"{package}-reference.xml")
            assert results == reference, f"{package}: the finished starter fails {failing[:5]}"
