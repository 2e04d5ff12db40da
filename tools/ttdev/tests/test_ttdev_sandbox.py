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
