"""The starter generator: stubs, hints kept, no solution left, the copy imports;
and the root conftest.py's short report of what is not implemented yet."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ttdev.starter import (
    STARTER_MARKER,
    StarterError,
    instructors_only,
    leaked_lines,
    reference_only_lines,
    stub_file,
    tree_files,
    write_starter,
)
from ttdev.stubs import find_stubs, parse_stub

ROOT = Path(__file__).resolve().parents[3]

SOURCE = '''\
import numpy as np


class Linear:
    def forward(self, x):
        """y = x W^T + b."""
        # Hint: one matmul.
        # BEGIN SOLUTION
        # Transpose the weight first.
        y = x @ self.weight.T
        return y + self.bias
        # END SOLUTION


def relu(x):
    # BEGIN SOLUTION
    return np.maximum(x, 0)
    # END SOLUTION
'''
TESTS = {"packages/tt-nn/tests/test_linear.py": "def test_forward():\n    Linear(2, 3).forward\n",
         "packages/tt-nn/tests/test_misc.py": "import numpy\n"}


def test_regions_become_stubs_that_keep_the_hints():
    stubbed, functions = stub_file(SOURCE, "layers.py", "tt-nn", TESTS, "packages/tt-nn/tests")
    assert functions == ["Linear.forward", "relu"]
    assert "# Hint: one matmul." in stubbed and "# Transpose the weight first." in stubbed
    assert "self.weight.T" not in stubbed and "np.maximum" not in stubbed
    assert "SOLUTION" not in stubbed
    assert "        raise NotImplementedError(\n" in stubbed      # the region's indentation
    assert find_stubs(stubbed) == ["Linear.forward", "relu"]
    namespace = {}
    exec(compile(stubbed, "layers.py", "exec"), namespace)
    with pytest.raises(NotImplementedError) as raised:
        namespace["relu"](1)
    message = str(raised.value)
    assert parse_stub(message) == ("tt-nn", "relu")
    assert "Tests: packages/tt-nn/tests/." in message                  # nothing mentions relu
    assert "Docs: docs/packages/tt-nn.md." in message
    with pytest.raises(NotImplementedError, match="tests/test_linear.py"):
        namespace["Linear"]().forward(1)


@pytest.mark.parametrize(("source", "message"), [
    ("def f():\n    # BEGIN SOLUTION\n    return 1\n", "never closed"),
    ("def f():\n    return 1\n    # END SOLUTION\n", "without a # BEGIN SOLUTION"),
    ("# BEGIN SOLUTION\nX = 1\n# END SOLUTION\n", "outside a function body"),
])
def test_misplaced_markers_are_explained(source, message):
    with pytest.raises(StarterError, match=message):
        stub_file(source, "bad.py", "tt-nn", {}, "packages/tt-nn/tests")


@pytest.fixture(scope="module")
def starter(tmp_path_factory):
    """The starter of this very tree."""
    dest = tmp_path_factory.mktemp("starter") / "tinytorch"
    return dest, write_starter(ROOT, dest)


def test_the_starter_holds_no_solution_line(starter):
    dest, stubbed = starter
    secret = reference_only_lines(ROOT)
    assert secret, "the reference has solution regions"
    assert leaked_lines(dest, secret) == []
    assert sum(len(f) for f in stubbed.values()) > 0


def test_the_starter_has_everything_but_results_and_builds(starter):
    dest, _ = starter
    for kept in ("noxfile.py", "README.md", "milestones", "conftest.py", "tools/ttdev/starter.py",
                 STARTER_MARKER):
        assert (dest / kept).exists(), kept
    for left_out in (".git", "results", ".nox", "dist"):
        assert not (dest / left_out).exists(), left_out
    assert '"packages/*/src/**" = ["F401", "F841", "E501"]' in (dest / "pyproject.toml").read_text()


def test_instructors_only_files_stay_out_of_the_starter(starter, tmp_path):
    """The benchmarks' hand-written NumPy MLP step is tt-nn's answer: instructors keep it."""
    dest, _ = starter
    marked = [p for p in tree_files(ROOT) if instructors_only(ROOT / p)]
    assert Path("benchmarks/numpy_baselines.py") in marked
    for relative in marked:
        assert not (dest / relative).exists(), f"{relative} reached the students' starter"
    shown, hidden = tmp_path / "shown.py", tmp_path / "hidden.py"
    shown.write_text("# a comment\n# tinytorch: instructors only\n")
    hidden.write_text("# tinytorch: instructors only\nANSWER = 42\n")
    assert not instructors_only(shown) and instructors_only(hidden)


def test_the_starters_benchmarks_run_without_answers_and_skip_stubbed_packages(starter,
                                                                             tmp_path):
    """The starter's bench has no "numpy" row (that file stays with instructors), and with
    tt-spatial still stubs (the others from the reference) it skips the CNN and CIFAR benches
    with a note while the rest runs."""
    dest, _ = starter
    sources = [str(dest / "packages" / "tt-spatial" / "src")] + sorted(
        str(p) for p in (ROOT / "packages").glob("*/src") if p.parent.name != "tt-spatial")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sources), "OPENBLAS_NUM_THREADS": "1"}
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(dest / "benchmarks" / "run.py"), "-k", "raw-tensor MLP",
         "--repeats", "1", "--out", str(out)],
        env=env, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for bench in ("bench_cnn.py", "bench_cifar.py"):
        line = next((x for x in done.stdout.splitlines() if x.startswith(f"skipping {bench}")),
                    None)
        assert line is not None, done.stdout
        assert "not implemented yet in this tree" in line and "tt-spatial" in line, line
    rows = [m for m in json.loads(out.read_text())["measurements"] if "MLP" in m["case"]]
    implementations = {m["implementation"] for m in rows}
    assert "tinytorch" in implementations and "numpy" not in implementations, rows


def test_every_package_of_the_starter_imports(starter):
    dest, _ = starter
    sources = sorted(str(p) for p in (dest / "packages").glob("*/src"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sources)}
    for src in sources:
        module = "tinytorch." + next(p.name for p in (Path(src) / "tinytorch").iterdir()
                                     if p.is_dir() and not p.name.startswith("_"))
        done = subprocess.run([sys.executable, "-c", f"import {module}"], env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{module} does not import in the starter:\n{done.stderr}"


def test_a_starter_elsewhere_inside_the_tree_is_refused(tmp_path):
    with pytest.raises(StarterError, match="inside the reference tree"):
        write_starter(ROOT, ROOT / "results" / "starter")


def test_pytest_lists_what_is_not_implemented_instead_of_tracebacks(tmp_path):
    """A small starter-like tree with the real root conftest.py and two stubbed functions."""
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "tools" / "ttdev").mkdir(parents=True)
    for tool in ("stubs.py", "tasks.py", "require_torch.py"):   # what the root conftest loads
        shutil.copy(ROOT / "tools" / "ttdev" / tool, tmp_path / "tools" / "ttdev")
    (tmp_path / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = \"-ra\"\n")
    (tmp_path / STARTER_MARKER).write_text("")
    tests = tmp_path / "packages" / "tt-nn" / "tests"
    tests.mkdir(parents=True)
    stubbed, _ = stub_file(SOURCE, "layers.py", "tt-nn", TESTS, "packages/tt-nn/tests")
    (tests / "layers.py").write_text(stubbed)
    (tests / "test_layers.py").write_text(
        "from layers import Linear, relu\n"
        "def test_relu():\n    assert relu(-1) == 0\n"
        "def test_relu_again():\n    assert relu(2) == 2\n"
        "def test_forward():\n    Linear().forward(1)\n"
        "def test_real_bug():\n    assert 1 == 2\n"
        "def test_stub_met_twice_as_hypothesis_reports_it():\n"
        "    errors = []\n"
        "    for x in (-1, 2):\n"
        "        try:\n            relu(x)\n"
        "        except NotImplementedError as error:\n            errors.append(error)\n"
        "    raise ExceptionGroup('Hypothesis found 2 distinct failures.', errors)\n"
        "def test_a_group_with_a_real_bug_is_a_failure():\n"
        "    try:\n        relu(1)\n"
        "    except NotImplementedError as error:\n"
        "        raise ExceptionGroup('two', [error, AssertionError('real')]) from None\n"
    )
    (tests / "test_broken_module.py").write_text("from layers import relu\nX = relu(1)\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "packages/tt-nn/tests"], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    out = done.stdout
    assert done.returncode == 1, out
    assert "4 not implemented" in out and "2 failed" in out and "1 error" in out
    assert "relu                                     blocks 3 tests and 1 whole test file" in out
    assert "Linear.forward                           blocks 1 test" in out
    # only the group holding a real bug prints its (exception group) traceback
    sections = re.split(r"\n_{3,} (\S+) _{3,}\n", out)
    with_tracebacks = {name for name, text in zip(sections[1::2], sections[2::2], strict=True)
                       if "Traceback" in text}
    assert "Traceback" not in sections[0]
    assert with_tracebacks == {"test_a_group_with_a_real_bug_is_a_failure"}, out
    assert "FAILED packages/tt-nn/tests/test_layers.py::test_a_group_with_a_real_bug" in out
    assert "assert 1 == 2" in out                     # real failures keep their report
