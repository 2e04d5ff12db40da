"""nox -s progress: stubs counted from sources, milestones locked, unlocked and passed."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ttdev.graph import discover_packages
from ttdev.progress import (
    PackageProgress,
    format_progress,
    package_progress,
    task_lines,
    timed_out_tests,
)
from ttdev.sandbox import read_junit
from ttdev.specs import discover_milestones
from ttdev.stubs import stub_source

ROOT = Path(__file__).resolve().parents[3]


def _milestone_folder(root, number, package, title="M", also=""):
    stone = root / f"0{number}_19{number}0_m{number}"
    stone.mkdir(parents=True)
    (stone / "milestone.toml").write_text(
        f'number = {number}\nyear = 19{number}0\nslug = "m{number}"\ntitle = "{title}"\n'
        f'unlocked_by = "{package}"\n{also}[[script]]\nfile = "run.py"\n'
        '[[script.bar]]\nmetric = "acc"\nat_least = 0.9\n')


def test_progress_counts_stubs_and_reads_milestone_results(fake_tree, tmp_path):
    nn = fake_tree / "packages" / "tt-nn" / "src" / "tinytorch" / "nn" / "layers.py"
    nn.write_text("def relu(x):\n" + "\n".join(stub_source("    ", "tt-nn", "relu", [], "d")))
    folder = fake_tree / "milestones"
    for number, package in ((1, "tt-autograd"), (2, "tt-nn")):
        _milestone_folder(folder, number, package, title=f"M{number}")
    results = tmp_path / "results"
    (results / "01_1910_m1").mkdir(parents=True)
    (results / "01_1910_m1" / "run.json").write_text(json.dumps({"passed": True, "quick": True}))
    packages = discover_packages(fake_tree / "packages")
    rows = package_progress(packages, tmp_path / "no-junit")
    assert {r.name: r.to_write for r in rows}["tt-nn"] == ("relu",)
    text = format_progress(rows, discover_milestones(folder), packages, results)
    assert "milestone_01  1910  M1" in text and "unlocked, passed (quick)" in text
    assert "locked, functions left: tt-nn 1" in text


def test_progress_fits_100_columns_totals_and_tells_quick_from_full(fake_tree, tmp_path):
    many = "\n".join(f"def function_with_a_long_name_{i}(x):\n"
                     + "\n".join(stub_source("    ", "tt-tensor", f"f{i}", [], "d"))
                     for i in range(30))
    (fake_tree / "packages/tt-tensor/src/tinytorch/tensor/many.py").write_text(many)
    folder = fake_tree / "milestones"
    _milestone_folder(folder, 1, "tt-tensor", title="A title long enough to be cut " * 3)
    _milestone_folder(folder, 2, "tt-nn")
    _milestone_folder(folder, 3, "tt-extra")
    _milestone_folder(folder, 4, "tt-extra")
    results = tmp_path / "results"
    for name, quick in (("03_1930_m3", False), ("04_1940_m4", True)):
        (results / name).mkdir(parents=True)
        (results / name / "run.json").write_text(json.dumps({"passed": True, "quick": quick}))
    packages = discover_packages(fake_tree / "packages")
    junit = tmp_path / "junit"
    junit.mkdir()
    (junit / "tt-nn.xml").write_text(
        '<testsuite><testcase name="a"/><testcase name="b"><failure/></testcase></testsuite>')
    text = format_progress(package_progress(packages, junit), discover_milestones(folder),
                           packages, results)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 100
    assert any(line.startswith("tt-tensor") and line.endswith("f0, f1, f2, +27") for line in lines)
    total = next(line for line in lines if line.startswith("total"))
    assert total.split() == ["total", "30", "1", "1", "0"]
    assert "milestone_03  1930  M" in text and "unlocked, passed (full)" in text
    assert "unlocked, passed (quick)" in text
    assert lines[-1] == ("milestones: 2 of 4 passed (1 full, 1 quick only), 0 failed, 0 to run, "
                         "2 locked")


SKIPS = (  # what pytest writes: a test and a whole file skipped without torch, another skip
    '<testsuite><testcase name="a"/>'
    '<testcase classname="packages.tt-nn.tests.test_x" name="b"><skipped type="pytest.skip" '
    'message="could not import \'torch\': No module named \'torch\'">x.py:3</skipped>'
    '</testcase><testcase classname="" name="packages.tt-nn.tests.test_y"><skipped '
    'message="collection skipped">(\'y.py\', 14, "Skipped: could not import \'torch\': '
    'No module named \'torch\'")</skipped></testcase>'
    '<testcase name="c"><skipped message="needs a GPU, which this machine does not have at '
    'all"/></testcase><testcase name="d"><failure/></testcase></testsuite>')


def test_progress_counts_skipped_tests_and_says_why(fake_tree, tmp_path):
    junit = tmp_path / "junit"
    junit.mkdir()
    (junit / "tt-nn.xml").write_text(SKIPS)
    packages = discover_packages(fake_tree / "packages")
    rows = package_progress(packages, junit)
    nn = next(row for row in rows if row.name == "tt-nn")
    assert (nn.passed, nn.failed, len(nn.skipped)) == (1, 1, 3)
    lines = format_progress(rows, [], packages, tmp_path / "results").splitlines()
    assert lines[0].split()[:5] == ["package", "to", "write", "passed", "failed"]
    assert lines[0].split()[5] == "skipped"
    assert next(line for line in lines if line.startswith("tt-nn ")).split()[1:5] == \
        ["0", "1", "1", "3"]
    assert next(line for line in lines if line.startswith("tt-tensor ")).split()[1:5] == \
        ["0", "-", "-", "-"]   # not run
    assert next(line for line in lines if line.startswith("total")).split() == \
        ["total", "0", "1", "1", "3"]
    assert ("tt-nn: 3 tests skipped (2 no torch, 1 needs a GPU, which this machine does ...)"
            in lines)
    assert any(line.startswith("  no torch: the PyTorch oracle tests run where torch is") for
               line in lines)
    assert max(map(len, lines)) <= 100


def test_progress_knows_the_torch_skip_reason_and_imports_without_pytest():
    from ttdev import progress, require_torch

    assert progress.TORCH_SKIP == require_torch.TORCH_SKIP
    # the noxfile imports progress in nox's own venv, which has no pytest
    done = subprocess.run([sys.executable, "-c", "import sys; sys.modules['pytest'] = None; "
                           "import ttdev.progress"], cwd=ROOT / "tools", capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr


TASKS = '''\
[[task]]
name = "relu"
title = "ReLU"
functions = ["relu"]
tests = ["tests"]

[[task]]
name = "linear"
title = "Linear"
functions = ["Linear.forward", "Linear.reset_parameters"]
tests = ["tests"]
unlocks = "milestone_02"
'''


def test_progress_lists_tasks_in_order_done_or_left_with_their_command(fake_tree, tmp_path):
    nn = fake_tree / "packages" / "tt-nn"
    (nn / "tasks.toml").write_text(TASKS)
    (nn / "src/tinytorch/nn/layers.py").write_text(
        "class Linear:\n    def forward(self, x):\n"
        + "\n".join(stub_source("        ", "tt-nn", "Linear.forward", [], "d")) + "\n")
    packages = discover_packages(fake_tree / "packages")
    rows = package_progress(packages, tmp_path / "no-junit")
    text = format_progress(rows, [], packages, tmp_path / "results")
    lines = text.splitlines()
    nn_row = next(line for line in lines if line.startswith("tt-nn "))
    assert nn_row.endswith("task 2 linear: Linear.forward")
    start = lines.index("tt-nn: 1 of 2 tasks done, next: nox -s task -- tt-nn linear")
    assert lines[start + 1].split() == ["1.", "relu", "done"]
    assert lines[start + 2].split() == ["2.", "linear", "left", "(1", "of", "2", "functions),",
                                        "then", "milestone_02", "unlocks"]
    (nn / "src/tinytorch/nn/layers.py").write_text("class Linear:\n    pass\n")
    rows = package_progress(packages, tmp_path / "no-junit")
    assert "tt-nn: all 2 tasks done" in format_progress(rows, [], packages, tmp_path)


def test_a_malformed_task_list_is_named_not_raised(fake_tree, tmp_path):
    (fake_tree / "packages/tt-nn/tasks.toml").write_text("[[task]\n")
    packages = discover_packages(fake_tree / "packages")
    text = format_progress(package_progress(packages, tmp_path), [], packages, tmp_path)
    assert "tt-nn: " in text and "tasks.toml: not valid TOML" in text


def test_a_looping_function_costs_one_timeout_that_names_the_test(tmp_path):
    """What ``nox -s progress`` runs: pytest with pytest-timeout's per-test limit, under the
    root conftest.py. The first test that calls the looping function fails on the limit
    and stops the run (the second caller costs no second timeout); the screen names it."""
    pytest.importorskip("pytest_timeout")
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "tools" / "ttdev").mkdir(parents=True)
    for tool in ("stubs.py", "tasks.py", "require_torch.py"):   # what the root conftest loads
        shutil.copy(ROOT / "tools" / "ttdev" / tool, tmp_path / "tools" / "ttdev")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")   # the rootdir
    tests = tmp_path / "packages" / "tt-nn" / "tests"
    tests.mkdir(parents=True)
    (tests / "test_loop.py").write_text(
        "def forever():\n    while True:\n        pass\n\n\n"
        "def test_fine():\n    assert 1 + 1 == 2\n\n\n"
        "def test_forever():\n    forever()\n\n\n"
        "def test_forever_again():\n    forever()\n")
    report = tmp_path / "tt-nn.xml"
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "--timeout=2", f"--junitxml={report}", str(tests)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stdout   # pytest's "interrupted": the run was stopped
    assert "packages/tt-nn/tests/test_loop.py::test_forever hit the time limit" in done.stdout
    assert time.monotonic() - started < 30, "the second looping test cost a second timeout"
    junit = read_junit(report)
    assert (junit.passed, junit.failed) == (1, ["test_loop::test_forever"])
    assert timed_out_tests(report) == ["test_loop::test_forever"]
    row = PackageProgress("tt-nn", (), 1, 1, timed_out=("test_loop::test_forever",))
    assert ("tt-nn: test_loop::test_forever hit the time limit (a function that never "
            "returns?); the rest of tt-nn's tests did not run") in task_lines([row])
