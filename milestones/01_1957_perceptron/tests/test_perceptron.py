"""Learning verification for milestone 01: the bars are asserted, not printed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

MILESTONE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(MILESTONE.parent))
from common.testing import run_milestone_script  # noqa: E402

SCRIPT = MILESTONE / "perceptron_trained.py"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    return run_milestone_script(SCRIPT, tmp_path_factory.mktemp("results"), "--quick")


def test_quick_run_passes_every_bar(quick_run):
    assert quick_run.returncode == 0, quick_run.output
    assert quick_run.report["passed"] is True
    assert all(bar["passed"] for bar in quick_run.bars)


def test_perceptron_learns_the_separable_problem(quick_run):
    metrics = quick_run.metrics
    assert metrics["separable_test_accuracy"] >= 0.95
    assert metrics["separable_loss_drop"] > 0.5
    assert metrics["grad_norm_w"] > 0 and metrics["grad_norm_b"] > 0
    assert metrics["weight_change"] > 0


def test_perceptron_cannot_solve_xor(quick_run):
    assert quick_run.metrics["xor_accuracy"] <= 0.75


def test_an_untrained_perceptron_fails_its_bars(tmp_path):
    """One step of training cannot reach the bars: the script must say FAILED and exit non-zero."""
    result = run_milestone_script(SCRIPT, tmp_path, "--quick", "--epochs", "1")
    assert result.returncode == 1, result.output
    assert "FAILED" in result.output
    assert result.report["passed"] is False
