"""Learning verification for milestone 03: the bars are asserted, not printed.

``quick_run`` (milestones/conftest.py) is SCRIPT's ``--quick`` run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from common.testing import (
    assert_every_bar_passed,
    assert_failed_its_bars,
    assert_figures_written,
    run_milestone_script,
)

MILESTONE = Path(__file__).resolve().parents[1]
SCRIPT = MILESTONE / "mlp_digits.py"  # the default script
FASHION = MILESTONE / "mlp_fashion_mnist.py"
MNIST = MILESTONE / "mlp_mnist.py"
sys.path.insert(0, str(MILESTONE))  # the script is also imported, to test its functions
import mlp_digits  # noqa: E402


def test_quick_run_draws_training_curves_and_errors_of_both_datasets(quick_run):
    assert_figures_written(
        quick_run, "digits_training", "digits_errors", "mnist_sample_training",
        "mnist_sample_errors",
    )


def test_quick_run_passes_every_bar(quick_run):
    assert_every_bar_passed(quick_run)
    assert {bar["metric"] for bar in quick_run.bars} == {
        "digits_test_accuracy",
        "digits_loss_drop",
        "digits_parameters_with_gradient",
        "mnist_sample_test_accuracy",
        "mnist_sample_loss_drop",
    }


def test_the_mlp_learns_both_digit_datasets(quick_run):
    metrics = quick_run.metrics
    assert metrics["digits_test_accuracy"] >= 0.93
    assert metrics["mnist_sample_test_accuracy"] >= 0.88
    assert metrics["digits_loss_drop"] > 0.5
    assert metrics["mnist_sample_loss_drop"] > 0.5
    assert metrics["digits_parameters_with_gradient"] == 6


def test_the_report_holds_curves_and_timing(quick_run):
    report = quick_run.report
    assert report["facts"]["digits_train_seconds"] > 0
    assert report["facts"]["parameters"] == 64 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    curve = report["curves"]["digits train loss"]
    assert curve[-1][1] < curve[0][1]


def test_one_epoch_is_not_enough_and_the_script_says_so(tmp_path):
    """A broken or untrained run must fail its bars and exit non-zero, never print success."""
    result = run_milestone_script(SCRIPT, tmp_path, "--quick", "--epochs", "1")
    assert_failed_its_bars(result)


def test_missing_full_mnist_is_reported_not_faked(tmp_path):
    result = run_milestone_script(MNIST, tmp_path, "--quick", "--data-dir", str(tmp_path))
    assert result.returncode == 2, result.output
    assert "MNIST" in result.output and str(tmp_path) in result.output
    assert "train-images-idx3-ubyte" in result.output
    assert result.report is None


def test_fashion_mnist_quick_when_installed(tmp_path):
    from tinytorch.optim.datasets import DatasetNotFoundError, load_fashion_mnist

    try:
        load_fashion_mnist()
    except DatasetNotFoundError:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    result = run_milestone_script(FASHION, tmp_path, "--quick")
    assert result.returncode == 0, result.output
    assert result.metrics["fashion_mnist_test_accuracy"] >= 0.80


def test_every_parameter_receives_a_gradient():
    from tinytorch import nn
    from tinytorch.tensor import manual_seed

    manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((16, 1, 8, 8), dtype=np.float32)
    y = rng.integers(0, 10, 16)
    norms = mlp_digits.parameters_with_gradient(
        mlp_digits.mlp(64, (128, 64)), nn.CrossEntropyLoss(), x, y
    )
    assert len(norms) == 6
    assert all(norm > 0 for norm in norms.values())


def test_standardize_uses_training_statistics_only():
    train = np.array([0.0, 2.0, 4.0], dtype=np.float32)
    test = np.array([2.0, 6.0], dtype=np.float32)
    scaled_train, scaled_test = mlp_digits.standardize(train, test)
    assert scaled_train.mean() == pytest.approx(0.0)
    assert scaled_test[0] == pytest.approx(0.0)
