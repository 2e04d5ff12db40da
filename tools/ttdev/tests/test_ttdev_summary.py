"""The summary table of `nox -s milestones`, read from results files."""

import json
import time

from ttdev.summary import ScriptRun, format_summary, script_passed


def _run(tmp_path, name, exit_code=0, results=None, stale=False):
    path = tmp_path / f"{name}.json"
    started = time.time()
    if results is not None:
        path.write_text(json.dumps(results))
        if stale:
            started += 100
    return ScriptRun(milestone="01 perceptron", year=1957, script=f"{name}.py",
                     exit_code=exit_code, seconds=1.25, results_file=path, started=started)


def _results(value, passed):
    return {"passed": passed, "bars": [{"metric": "acc", "value": value, "bar": ">= 0.9",
                                        "passed": passed}]}


def test_a_passing_run_is_one_line_with_its_bar_count_and_time(tmp_path):
    run = _run(tmp_path, "a", results=_results(0.97, True))
    lines = format_summary([run], quick=True).splitlines()
    (row,) = [line for line in lines if line.startswith("01 perceptron")]
    assert row.split() == ["01", "perceptron", "1957", "a.py", "PASS", "1/1", "bars", "1.2s"]
    assert "1 of 1 milestone scripts passed, quick pass (--quick bars), 1s" in lines
    assert not any("acc = 0.97" in line for line in lines)   # details only on request
    assert script_passed(run)


def test_details_list_every_bar(tmp_path):
    run = _run(tmp_path, "a", results=_results(0.97, True))
    text = format_summary([run], quick=False, details=True)
    assert "  ok  acc = 0.97  (bar >= 0.9)" in text and "full run" in text
    assert "--details" not in text


def test_a_failed_bar_is_listed_under_its_script(tmp_path):
    run = _run(tmp_path, "a", exit_code=1, results=_results(0.5, False))
    lines = format_summary([run], quick=False).splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("01 perceptron"))
    assert "FAIL" in lines[at] and "0/1 bars" in lines[at]
    assert lines[at + 1].strip() == "FAIL  acc = 0.5  (bar >= 0.9)"
    assert not script_passed(run)


def test_the_summary_of_all_milestones_stays_short_and_narrow(tmp_path):
    bars = {"passed": True, "bars": [{"metric": f"m{i}", "value": 1.0, "bar": ">= 0",
                                      "passed": True} for i in range(8)]}
    runs = [_run(tmp_path, f"script_{i}", results=bars) for i in range(7)]
    lines = format_summary(runs, quick=False).splitlines()
    assert len(lines) <= 12 and max(map(len, lines)) <= 100


def test_crash_without_results_is_a_failure_not_a_success(tmp_path):
    run = _run(tmp_path, "a", exit_code=2)
    text = format_summary([run], quick=False)
    assert "crashed, exit 2" in text and "0 of 1" in text


def test_stale_results_file_is_ignored(tmp_path):
    run = _run(tmp_path, "a", exit_code=0, results=_results(0.99, True), stale=True)
    assert not script_passed(run)
    assert "no results file" in format_summary([run], quick=False)


def test_unmeasured_metric_is_shown_as_not_recorded(tmp_path):
    run = _run(tmp_path, "a", exit_code=1, results=_results(None, False))
    assert "FAIL  acc = not recorded" in format_summary([run], quick=False)


def test_waiting_milestones_are_listed(tmp_path):
    text = format_summary([], quick=False, waiting=["03 mlp (1986): waiting for tt-optim"])
    assert "not run: 03 mlp (1986): waiting for tt-optim" in text
