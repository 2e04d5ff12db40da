"""The sandbox: its time limit, bubblewrap or the fallback, and its readers of JUnit and JSON."""

import json
import os
import sys
import time
from pathlib import Path

import pytest

from ttdev.sandbox import RunTimeout, read_junit, run_command, script_problems, syntax_errors


def test_a_command_past_its_time_limit_is_stopped():
    started = time.monotonic()
    with pytest.raises(RunTimeout, match="did not finish within 1s"):
        run_command([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    assert time.monotonic() - started < 10


def test_the_time_limit_holds_when_a_grandchild_leaves_the_group_with_the_output_pipe():
    """A student's code that starts its own session (and keeps stdout) must not hang grade."""
    escape = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
              "'import time; time.sleep(20)'], start_new_session=True); time.sleep(30)")
    started = time.monotonic()
    with pytest.raises(RunTimeout):
        run_command([sys.executable, "-c", escape], timeout=1)
    assert time.monotonic() - started < 15


def test_junit_failures_are_named_by_file_and_test(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite>'
        '<testcase classname="packages.tt-nn.tests.test_layers" name="test_ok"/>'
        '<testcase classname="packages.tt-nn.tests.test_layers" name="test_bad">'
        '<failure/></testcase>'
        '<testcase classname="packages.tt-nn.tests.test_x" name="test_skip"><skipped/></testcase>'
        '</testsuite></testsuites>')
    junit = read_junit(report)
    assert (junit.passed, junit.failed, junit.not_implemented) == (1, ["test_layers::test_bad"], [])


def test_junit_tests_stopped_by_a_stub_are_kept_apart_from_failures(tmp_path):
    report = tmp_path / "junit.xml"
    stub = "not implemented yet: tt-nn Linear.forward (tinytorch starter stub)"
    report.write_text(
        '<testsuites><testsuite>'
        f'<testcase classname="packages.tt-nn.tests.test_linear" name="test_a">'
        f'<failure message="{stub}">{stub}</failure></testcase>'
        f'<testcase classname="packages.tt-nn.tests.test_linear" name="test_b">'
        f'<failure message="{stub}">{stub}</failure></testcase>'
        '<testcase classname="" name="packages.tt-nn.tests.test_init">'
        '<error message="collection failure">not implemented yet: tt-nn init.zeros_ '
        '(tinytorch starter stub; this whole file cannot be collected)</error></testcase>'
        '<testcase classname="packages.tt-nn.tests.test_linear" name="test_b">'
        '<error message="failed on teardown with assert">teardown</error></testcase>'
        '<testcase classname="packages.tt-nn.tests.test_linear" name="test_c">'
        '<failure message="assert 1 == 2">assert 1 == 2</failure></testcase>'
        '</testsuite></testsuites>')
    junit = read_junit(report)
    assert junit.failed == ["test_linear::test_c"]
    assert len(junit.not_implemented) == 3
    assert junit.stubs == ["tt-nn Linear.forward", "tt-nn init.zeros_"]


def test_syntax_errors_are_named_by_file_and_line():
    output = """ImportError while loading conftest '/x/tests/conftest.py'.
E     File "/tmp/run/venv/lib/python3.11/site-packages/tinytorch/tensor/creation.py", line 119
E       def broken(:
E                  ^
E   SyntaxError: invalid syntax
"""
    assert syntax_errors(output) == [
        "SyntaxError in tinytorch/tensor/creation.py line 119: invalid syntax"]
    assert syntax_errors('File "a.py", line 3\nValueError: no') == []


def test_missed_bars_and_crashes_are_described(tmp_path):
    results = tmp_path / "run.json"
    assert script_problems(results, 1, "boom\nValueError: bad shape\n") == [
        "crashed (exit 1): ValueError: bad shape"]
    results.write_text(json.dumps({"bars": [
        {"metric": "acc", "value": 0.5, "bar": ">= 0.9", "passed": False},
        {"metric": "loss", "value": 0.1, "bar": "<= 1", "passed": True}]}))
    assert script_problems(results, 1, "") == ["acc = 0.5 (bar >= 0.9)"]
    results.write_text('{"bars": [')
    assert script_problems(results, 1, "")[0].startswith("wrote an unreadable run.json (exit 1)")


def test_without_bubblewrap_runs_are_only_limited_and_the_report_says_why(tmp_path, monkeypatch):
    from ttdev import sandbox

    assert sandbox.probe_sandbox(None) == "bubblewrap (bwrap) is not installed"
    failing = tmp_path / "bwrap"
    failing.write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\n"
                       "exit 1\n")
    failing.chmod(0o755)
    assert "No permissions to create new namespace" in sandbox.probe_sandbox(str(failing))
    monkeypatch.setattr(sandbox, "_sandbox_state", {"bwrap": None, "reason": "not installed"})
    assert sandbox.sandbox_status() == "unavailable: not installed"
    command = sandbox.sandboxed(["python", "-V"], tmp_path)
    assert command[-2:] == ["python", "-V"] and "bwrap" not in map(str, command)


def test_under_bubblewrap_only_the_scratch_folder_is_writable_and_there_is_no_network(tmp_path):
    from ttdev import sandbox

    if sandbox.sandbox_status() != "bubblewrap":
        pytest.skip(f"bubblewrap cannot run here: {sandbox.sandbox_status()}")
    scratch, kept, outside = tmp_path / "run", tmp_path / "run" / "reference", tmp_path / "out"
    kept.mkdir(parents=True)
    outside.mkdir()
    probe = ("import socket, sys\n"
             "open(sys.argv[1] + '/ok', 'w').write('written')\n"
             "for path in sys.argv[2:]:\n"
             "    try:\n        open(path + '/forged', 'w')\n        print('WROTE', path)\n"
             "    except OSError:\n        pass\n"
             "try:\n    socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
             "    print('NETWORK')\nexcept OSError:\n    pass\n")
    # The interpreter itself, not this venv's link to it: the venv may sit under /tmp (a CI
    # clone there), which the sandbox replaces with an empty tmpfs; the probe needs only stdlib.
    python = os.path.realpath(sys.executable)
    code, output = sandbox.run_command(sandbox.sandboxed(
        [python, "-c", probe, scratch, kept, outside], scratch, [kept]), 60)
    assert code == 0, output
    assert (scratch / "ok").read_text() == "written"
    assert "WROTE" not in output and "NETWORK" not in output
    assert not (outside / "forged").exists() and not (kept / "forged").exists()


WRITING_SCRIPT = '''import json, sys
from pathlib import Path

here = Path(__file__).resolve().parent
try:
    (here / "milestone.toml").write_text("# forged bars")
except OSError:
    pass
results = Path(sys.argv[sys.argv.index("--results-dir") + 1]) / here.name
results.mkdir(parents=True)
(results / "train.json").write_text(json.dumps({"bars": [{"metric": "acc", "value": 1,
                                                          "bar": 0.5, "passed": True}]}))
'''


@pytest.mark.parametrize("bubblewrap", [True, False], ids=["bubblewrap", "fallback"])
def test_a_milestone_script_that_writes_into_the_reference_milestones_is_caught(
        tmp_path, monkeypatch, bubblewrap):
    from types import SimpleNamespace

    from ttdev import sandbox
    from ttdev.integrity import fingerprint

    if bubblewrap and sandbox.sandbox_status() != "bubblewrap":
        pytest.skip(f"bubblewrap cannot run here: {sandbox.sandbox_status()}")
    if not bubblewrap:
        monkeypatch.setattr(sandbox, "_sandbox_state", {"bwrap": None, "reason": "off"})
    folder = tmp_path / "ref" / "milestones" / "01_fake"
    folder.mkdir(parents=True)
    (folder / "milestone.toml").write_text("# the reference's bars\n")
    (folder / "train.py").write_text(WRITING_SCRIPT)
    script = SimpleNamespace(file="train.py", args=(), stem="train")
    milestone = SimpleNamespace(folder=folder, name=folder.name, default_scripts=lambda: [script])
    target = sandbox.Target("milestone", "milestone_01", (), milestone=milestone)
    before = fingerprint(tmp_path / "ref")
    (tmp_path / "run").mkdir()
    python = Path(os.path.realpath(sys.executable))  # not a venv link that may sit under /tmp
    outcome = sandbox._run_milestone(target, python, tmp_path / "run",
                                     time.monotonic() + 60)
    assert fingerprint(tmp_path / "ref") == before
    if bubblewrap or os.geteuid() != 0:   # the copy is read-only: the write fails
        assert outcome.status == "pass", outcome.summary()
    else:            # root may write a read-only file, but the change is seen
        assert outcome.status == "error"
        assert "changed the reference milestones" in outcome.details[0]
        assert "milestones/01_fake/milestone.toml" in outcome.details[0]


def test_the_test_running_when_pytest_was_stopped_is_named():
    from ttdev.sandbox import running_test

    output = ("packages/tt-nn/tests/test_a.py::test_ok PASSED    [ 50%]\n"
              "packages/tt-nn/tests/test_a.py::test_loops ")
    assert running_test(output) == "packages/tt-nn/tests/test_a.py::test_loops"
    assert running_test("packages/tt-nn/tests/test_a.py::test_ok PASSED    [ 50%]\n") is None
    assert running_test("") is None


def test_a_hanging_test_is_named_in_the_timeout(tmp_path):
    """A real pytest run stopped by the time limit: the message names the hanging test."""
    from ttdev.sandbox import RunTimeout, running_test

    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_loop.py").write_text("def test_fine():\n    pass\n\n"
                                        "def test_forever():\n    while True:\n        pass\n")
    with pytest.raises(RunTimeout) as stopped:
        run_command([sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", tests],
                    timeout=8, cwd=tmp_path, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert running_test(stopped.value.output).endswith("test_loop.py::test_forever")


def test_the_shared_tools_environment_is_not_part_of_a_runs_time_limit(tmp_path, monkeypatch):
    """The first run of a grading process makes the shared tools environment: that time is
    not taken from the run's own limit, and a shared environment that is not made in time is
    an error (never a timeout, which would be blamed on the student's code)."""

    from ttdev import sandbox
    from ttdev.sandbox import Outcome, Target, run_target

    left = []
    monkeypatch.setattr(sandbox, "shared_tools", lambda *args: time.sleep(1.5) or tmp_path)
    monkeypatch.setattr(sandbox, "make_run_venv",
                        lambda folder, wheels, tools, timeout: left.append(timeout) or tmp_path)
    monkeypatch.setattr(sandbox, "_run_tests", lambda *args: Outcome("pass", passed=1))
    target = Target("package", "tt-x", ("tt-x",), tests=tmp_path)
    outcome = run_target(target, [], tmp_path / "run", timeout=1)
    assert outcome.status == "pass" and left[0] > 0.5

    def too_slow(*args):
        raise RunTimeout("pip ... did not finish within 1s and was stopped")

    monkeypatch.setattr(sandbox, "shared_tools", too_slow)
    outcome = run_target(target, [], tmp_path / "run", timeout=1)
    assert outcome.status == "error"
    assert "the shared tools environment was not made in time" in outcome.details[0]
