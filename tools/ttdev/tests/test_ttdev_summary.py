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


def test_passing_run_shows_metric_bar_and_time(tmp_path):
    run = _run(tmp_path, "a", results=_results(0.97, True))
    text = format_summary([run], quick=True)
    assert "acc = 0.97" in text and ">= 0.9" in text and "PASS" in text and "1.2s" in text
    assert "1 of 1 milestone scripts passed (--quick bars)" in text
    assert script_passed(run)


def test_failed_bar_fails(tmp_path):
    run = _run(tmp_path, "a", exit_code=1, results=_results(0.5, False))
    assert "FAIL" in format_summary([run], quick=False)
    assert not script_passed(run)


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
    assert "acc = not recorded" in format_summary([run], quick=False)


def test_waiting_milestones_are_listed(tmp_path):
    text = format_summary([], quick=False, waiting=["03 mlp (1986): waiting for tt-optim"])
    assert "not run: 03 mlp (1986): waiting for tt-optim" in text
