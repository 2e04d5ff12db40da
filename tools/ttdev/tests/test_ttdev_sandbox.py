"""The sandbox's time limit and its readers of JUnit files and results JSON."""

import json
import sys
import time

import pytest
from ttdev.sandbox import RunTimeout, read_junit, run_command, script_problems


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
    assert read_junit(report) == (1, ["test_layers::test_bad"])


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
