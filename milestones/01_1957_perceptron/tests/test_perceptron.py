"""Learning verification for milestone 01: the bars are asserted, not printed.

``quick_run`` (milestones/conftest.py) is SCRIPT's ``--quick`` run.
"""

from __future__ import annotations

from pathlib import Path

from ttdev.milestone.testing import (
    assert_every_bar_passed,
    assert_failed_its_bars,
    assert_figures_written,
    run_milestone_script,
)

MILESTONE = Path(__file__).resolve().parents[1]
SCRIPT = MILESTONE / "perceptron_trained.py"


def test_quick_run_passes_every_bar(quick_run):
    assert_every_bar_passed(quick_run)


def test_perceptron_learns_the_separable_problem(quick_run):
    metrics = quick_run.metrics
    assert metrics["separable_test_accuracy"] >= 0.95
    assert metrics["separable_loss_drop"] > 0.5
    assert metrics["grad_norm_w"] > 0 and metrics["grad_norm_b"] > 0
    assert metrics["weight_change"] > 0


def test_perceptron_cannot_solve_xor(quick_run):
    assert quick_run.metrics["xor_accuracy"] <= 0.75


def test_quick_run_draws_both_decision_boundaries_and_the_losses(quick_run):
    assert_figures_written(quick_run, "boundary", "loss", "graph")


def test_an_untrained_perceptron_fails_its_bars(tmp_path):
    """One step of training cannot reach the bars: the script must say FAILED and exit non-zero."""
    result = run_milestone_script(SCRIPT, tmp_path, "--quick", "--epochs", "1")
    assert_failed_its_bars(result)
    failed = result.output.split("FAIL  separable_loss_drop", 1)[1]
    assert "what:  fraction by which the training loss fell" in failed
    assert "likely causes:" in failed
    assert 'next:  nox -s "test(tt-autograd)" -- -k' in failed


def test_the_graph_is_drawn_and_checked(quick_run):
    svg = (quick_run.results_dir / MILESTONE.name / "graph.svg").read_text()
    assert 'class="node leaf requires' in svg and ">w<" in svg and ">b<" in svg
    assert quick_run.report["graph_check"] == []
