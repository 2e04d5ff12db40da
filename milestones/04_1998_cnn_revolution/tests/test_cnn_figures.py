"""Milestone 04's pictures: a quick run of each script writes the figures it declares."""

from __future__ import annotations

from pathlib import Path

import pytest
from ttdev.milestone.testing import assert_figures_written, run_milestone_script

MILESTONE = Path(__file__).resolve().parents[1]
SCRIPT = MILESTONE / "cnn_digits.py"


def test_quick_digits_run_draws_the_comparison_and_the_cnn_s_errors(quick_run):
    pytest.importorskip("sklearn")
    assert_figures_written(quick_run, "loss", "accuracy_size", "errors")


def test_fashion_mnist_quick_run_draws_its_loss_and_errors(tmp_path):
    from tinytorch.optim.datasets import DatasetNotFoundError, load_fashion_mnist

    try:
        load_fashion_mnist()
    except DatasetNotFoundError:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    result = run_milestone_script(MILESTONE / "cnn_fashion_mnist.py", tmp_path, "--quick")
    assert_figures_written(result, "loss", "errors")
