"""Learning verification for milestone 03: the bars are asserted, not printed.

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
SCRIPT = MILESTONE / "mlp_digits.py"  # the default script
FASHION = MILESTONE / "mlp_fashion_mnist.py"
MNIST = MILESTONE / "mlp_mnist.py"
mlp_digits = import_script(SCRIPT)   # its functions are tested too


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
        "optimizer_path_error",
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


def test_the_reference_paths_are_pytorchs():
    torch = pytest.importorskip("torch")
    from ttdev.milestone.diagnose import TRAJECTORY_CURVATURE, TRAJECTORY_SLOPE, TRAJECTORY_START

    a = torch.tensor(TRAJECTORY_CURVATURE, dtype=torch.float64)
    b = torch.tensor(TRAJECTORY_SLOPE, dtype=torch.float64)
    makers = {"SGD(lr=0.01)": lambda p: torch.optim.SGD(p, lr=0.01),
              "Adam(lr=0.1)": lambda p: torch.optim.Adam(p, lr=0.1)}
    assert set(makers) == set(mlp_digits.REFERENCE_PATHS)
    for name, make in makers.items():
        x = torch.tensor(TRAJECTORY_START, dtype=torch.float64, requires_grad=True)
        optimizer, path = make([x]), []
        for _ in range(8):
            optimizer.zero_grad()
            (a * x * x + b * x).sum().backward()
            optimizer.step()
            path.append(x.detach().numpy().copy())
        np.testing.assert_allclose(np.stack(path), mlp_digits.REFERENCE_PATHS[name][1],
                                   rtol=1e-9, atol=1e-10)


def test_our_optimizers_take_the_reference_paths():
    from ttdev.milestone.diagnose import trajectory_error

    for make, path in mlp_digits.REFERENCE_PATHS.values():
        assert trajectory_error(make, path) < 1e-9


ADAM_WITHOUT_BIAS_CORRECTION = """
import numpy as np
from tinytorch.optim import adam

def adam_step(self, param, grad, state, group):
    beta1, beta2 = group["betas"]
    state["step"] += 1
    state["exp_avg"] *= beta1
    state["exp_avg"] += (1 - beta1) * grad
    state["exp_avg_sq"] *= beta2
    state["exp_avg_sq"] += (1 - beta2) * grad * grad
    param -= group["lr"] * state["exp_avg"] / (np.sqrt(state["exp_avg_sq"]) + group["eps"])

adam.Adam.adam_step = adam_step
"""


def test_adam_without_bias_correction_fails_the_milestone(tmp_path):
    run = run_with_planted_bug(SCRIPT, tmp_path, ADAM_WITHOUT_BIAS_CORRECTION, "--quick")
    assert_failed_its_bars(run)
    failed = {bar["metric"] for bar in run.bars if not bar["passed"]}
    assert "optimizer_path_error" in failed
