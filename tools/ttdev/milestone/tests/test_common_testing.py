"""Reusing a nox session's milestone report in the milestone tests, and the run transcript."""

from __future__ import annotations

import json
import os
import sys

import pytest

from ttdev.milestone.runner import Transcript
from ttdev.milestone.testing import (
    REUSE_ENV,
    ScriptResult,
    assert_every_bar_passed,
    assert_failed_its_bars,
    run_milestone_script,
)


def _write_run(results, script, argv, passed=True, output="trained\nPASSED\n"):
    folder = results / script.parent.name
    folder.mkdir(parents=True)
    (folder / f"{script.stem}.json").write_text(
        json.dumps({"argv": argv, "passed": passed, "metrics": {"acc": 1.0}, "bars": []})
    )
    (folder / f"{script.stem}.log").write_text(output)


def _script(tmp_path):
    script = tmp_path / "01_x" / "train.py"
    script.parent.mkdir()
    script.write_text("import sys; print('ran for real'); sys.exit(3)\n")
    old = script.stat().st_mtime - 100
    os.utime(script, (old, old))
    return script


def test_a_matching_report_is_reused_with_its_output(tmp_path, monkeypatch):
    script, results = _script(tmp_path), tmp_path / "results"
    _write_run(results, script, ["--quick", "--results-dir", "somewhere"])
    monkeypatch.setenv(REUSE_ENV, str(results))
    result = run_milestone_script(script, tmp_path / "out", "--quick")
    assert result.returncode == 0
    assert result.output == "trained\nPASSED\n"
    assert result.metrics == {"acc": 1.0}


def test_other_arguments_run_the_script_for_real(tmp_path, monkeypatch):
    script, results = _script(tmp_path), tmp_path / "results"
    _write_run(results, script, ["--quick"])
    monkeypatch.setenv(REUSE_ENV, str(results))
    result = run_milestone_script(script, tmp_path / "out", "--quick", "--epochs", "1")
    assert result.returncode == 3
    assert "ran for real" in result.output


def test_without_the_variable_nothing_is_reused(tmp_path, monkeypatch):
    script, results = _script(tmp_path), tmp_path / "results"
    _write_run(results, script, ["--quick"])
    monkeypatch.delenv(REUSE_ENV, raising=False)
    assert run_milestone_script(script, tmp_path / "out", "--quick").returncode == 3


def test_transcript_copies_stdout_and_restores_it(capsys):
    original = sys.stdout
    transcript = Transcript.start()
    print("epoch 1: loss 0.5")
    assert transcript.stop() == "epoch 1: loss 0.5\n"
    assert sys.stdout is original
    assert "epoch 1" in capsys.readouterr().out


def _result(returncode, passed, bars, output="PASSED\n"):
    report = {"passed": passed, "metrics": {}, "bars": bars}
    return ScriptResult(returncode, output, report, results_dir=None)


def test_every_bar_passed_accepts_a_clean_run_and_names_a_failed_bar():
    assert_every_bar_passed(_result(0, True, [{"metric": "acc", "passed": True}]))
    with pytest.raises(AssertionError, match="loss"):
        assert_every_bar_passed(_result(0, True, [{"metric": "loss", "passed": False}]))
    with pytest.raises(AssertionError, match="Traceback"):
        assert_every_bar_passed(ScriptResult(1, "Traceback ...", None, results_dir=None))


def test_failed_its_bars_wants_a_failed_report_not_a_crash():
    assert_failed_its_bars(_result(1, False, [], output="FAILED\n"))
    with pytest.raises(AssertionError, match="Traceback"):
        assert_failed_its_bars(ScriptResult(1, "Traceback ... FAILED", None, results_dir=None))
