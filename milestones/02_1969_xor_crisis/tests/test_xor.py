"""Learning verification for milestone 02: the bars are asserted, not printed.

``quick_run`` (milestones/conftest.py) is SCRIPT's ``--quick`` run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ttdev.milestone.testing import (
    assert_every_bar_passed,
    assert_failed_its_bars,
    assert_figures_written,
    import_script,
    run_milestone_script,
    run_with_planted_bug,
)

MILESTONE = Path(__file__).resolve().parents[1]
SCRIPT = MILESTONE / "xor_solved.py"
xor_solved = import_script(SCRIPT)   # its functions are tested too


def test_quick_run_draws_the_crisis_the_cloud_and_the_losses(quick_run):
    assert_figures_written(quick_run, "cloud", "crisis", "loss", "graph")


def test_quick_run_passes_every_bar(quick_run):
    assert_every_bar_passed(quick_run)
    assert {bar["metric"] for bar in quick_run.bars} == {
        "xor_seeds_solved",
        "xor_min_loss_drop",
        "xor_min_grad_norm",
        "noisy_xor_test_accuracy",
        "linear_stack_xor_accuracy",
    }


def test_hidden_layer_solves_xor_for_every_seed(quick_run):
    metrics = quick_run.metrics
    assert metrics["xor_seeds_solved"] == 1.0
    assert metrics["xor_min_loss_drop"] > 0.5
    assert metrics["noisy_xor_test_accuracy"] >= 0.95


def test_linear_stack_fails_like_the_perceptron(quick_run):
    assert quick_run.metrics["linear_stack_xor_accuracy"] <= 0.75


def test_the_run_prints_the_hidden_features(quick_run):
    assert "hidden features" in quick_run.output
    assert quick_run.output.count("score =") == 4


def test_an_untrained_network_fails_its_bars(tmp_path):
    """One gradient step cannot solve XOR: the script must say FAILED and exit non-zero."""
    result = run_milestone_script(SCRIPT, tmp_path, "--quick", "--epochs", "1")
    assert_failed_its_bars(result)


def test_gradient_reaches_every_parameter():
    x, y = xor_solved.xor_points()
    model = xor_solved.mlp()
    _, first_grads = xor_solved.train(model, x, y, steps=1, lr=0.0)
    assert set(first_grads) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert all(norm > 0 for norm in first_grads.values())


def test_hidden_features_make_xor_linearly_separable():
    from tinytorch.tensor import Tensor, manual_seed

    manual_seed(0)
    x, y = xor_solved.xor_points()
    model = xor_solved.mlp()
    xor_solved.train(model, x, y, steps=1000, lr=xor_solved.XOR_LR)
    hidden = model[1](model[0](Tensor(x))).data
    scores = hidden @ model[2].weight.data[0] + model[2].bias.data[0]
    assert np.array_equal(scores > 0, y[:, 0] > 0.5)


def test_stacked_linear_layers_are_one_linear_map():
    """Without an activation the logit is affine in x, so f(0,0) + f(1,1) = f(0,1) + f(1,0)."""
    from tinytorch.tensor import Tensor

    model = xor_solved.mlp(activation=False)
    logit = model[2](model[1](model[0](Tensor(xor_solved.xor_points()[0])))).data[:, 0]
    assert logit[0] + logit[3] == pytest.approx(logit[1] + logit[2], abs=1e-5)


def test_hidden_features_claim_separation_only_when_measured(capsys):
    """An untrained network's scores do not split XOR, and the printout must not say they do."""
    from tinytorch.tensor import manual_seed

    manual_seed(0)
    x, y = xor_solved.xor_points()
    assert xor_solved.show_hidden_features(xor_solved.mlp(), x, y) is False
    assert "exactly the XOR-true points" not in capsys.readouterr().out


def test_the_graph_is_drawn_and_checked(quick_run):
    svg = (quick_run.results_dir / MILESTONE.name / "graph.svg").read_text()
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f">{name}<" in svg
    assert quick_run.report["graph_check"] == []


BIAS_GRADIENT_AVERAGED = """
from tinytorch.nn import functional

right = functional.LinearFunction.backward

def averaged_bias(ctx, grad_y):  # a realistic slip: mean over the batch instead of the sum
    grad_x, grad_w, grad_b = right(ctx, grad_y)
    rows = grad_y.reshape(-1, grad_y.shape[-1]).shape[0]
    return grad_x, grad_w, None if grad_b is None else grad_b / rows

functional.LinearFunction.backward = staticmethod(averaged_bias)
"""


def test_a_bias_gradient_averaged_over_the_batch_stops_the_milestone_naming_tt_nn(tmp_path):
    run = run_with_planted_bug(SCRIPT, tmp_path, BIAS_GRADIENT_AVERAGED, "--quick")
    assert run.returncode == 1, run.output
    assert "PREFLIGHT FAILED" in run.output
    diagnosis = run.report["diagnosis"]
    assert "0.bias" in diagnosis and "2.bias" in diagnosis and "weight" not in diagnosis
    assert "a Function (backward) of tt-nn" in diagnosis
