"""Learning verification for milestone 04: quick runs in a subprocess, bars asserted."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

MILESTONE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(MILESTONE.parent))
sys.path.insert(0, str(MILESTONE))
from common.testing import run_milestone_script  # noqa: E402

DIGITS = MILESTONE / "cnn_digits.py"
CIFAR = MILESTONE / "lecun_cifar10.py"
FASHION = MILESTONE / "cnn_fashion_mnist.py"


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    pytest.importorskip("sklearn")
    return run_milestone_script(DIGITS, tmp_path_factory.mktemp("results"), "--quick")


def test_quick_digits_run_passes_every_bar(digits_run):
    assert digits_run.returncode == 0, digits_run.output
    assert digits_run.report["passed"] is True
    assert all(bar["passed"] for bar in digits_run.bars)


def test_cnn_learns_with_fewer_parameters_than_the_mlp(digits_run):
    metrics = digits_run.metrics
    assert metrics["digits_cnn_test_accuracy"] >= 0.93
    assert metrics["digits_parameter_ratio"] <= 0.5
    assert "test acc" in digits_run.output and "parameters" in digits_run.output


def test_conv_weights_receive_gradients_and_change(digits_run):
    assert digits_run.metrics["conv_first_step_grad_norm"] > 1e-6
    assert digits_run.metrics["conv_weight_relative_change"] > 0.05


def failed_bars(result) -> set[str]:
    return {bar["metric"] for bar in result.bars if not bar["passed"]}


def test_an_untrained_cnn_fails_its_bars(tmp_path):
    pytest.importorskip("sklearn")
    result = run_milestone_script(DIGITS, tmp_path, "--quick", "--epochs", "0")
    assert result.returncode == 1, result.output  # a clean FAILED table, not a traceback
    assert "Traceback" not in result.output
    assert "FAILED" in result.output
    assert {"digits_cnn_test_accuracy", "digits_cnn_loss_decrease", "conv_weight_relative_change",
            "mnist_cnn_test_accuracy"} <= failed_bars(result)
    assert result.metrics["digits_cnn_loss_decrease"] == 0.0  # no second epoch to compare


def test_one_epoch_is_too_little_to_reach_the_accuracy_bars(tmp_path):
    # Measured with seeds 0-2: digits 0.77-0.86 (bar 0.93), MNIST sample 0.51-0.65 (bar 0.8).
    pytest.importorskip("sklearn")
    result = run_milestone_script(DIGITS, tmp_path, "--quick", "--epochs", "1")
    assert result.returncode == 1, result.output
    assert "FAILED" in result.output
    assert {"digits_cnn_test_accuracy", "mnist_cnn_test_accuracy"} <= failed_bars(result)
    assert result.metrics["conv_weight_relative_change"] > 0.05  # it did train, just too little


def test_train_result_with_zero_or_one_epoch():
    from cnn_training import TrainResult

    assert TrainResult().loss_decrease == 0.0
    assert TrainResult().seconds_per_epoch == 0.0
    assert TrainResult(losses=[2.3], epoch_seconds=[1.5]).loss_decrease == 0.0
    assert TrainResult(losses=[2.0, 0.5], epoch_seconds=[1.0, 3.0]).loss_decrease == 0.75
    assert TrainResult(losses=[2.0, 0.5], epoch_seconds=[1.0, 3.0]).seconds_per_epoch == 2.0


def fashion_mnist_installed() -> bool:
    from tinytorch.optim.datasets import DatasetNotFoundError, load_fashion_mnist

    try:
        load_fashion_mnist()
    except DatasetNotFoundError:
        return False
    return True


def test_fashion_mnist_quick_when_installed(tmp_path):
    if not fashion_mnist_installed():
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    result = run_milestone_script(FASHION, tmp_path, "--quick")
    assert result.returncode == 0, result.output
    assert "5,000 train / 2,000 test" in result.output  # --quick stays a small subset
    assert "s/epoch" in result.output
    assert result.metrics["fashion_mnist_cnn_test_accuracy"] >= 0.65
    assert result.report["facts"]["seconds_per_epoch"] > 0


def test_fashion_mnist_script_says_where_it_looked_when_data_is_absent(tmp_path, monkeypatch,
                                                                        capsys):
    import importlib

    from tinytorch.optim.datasets import mnist

    monkeypatch.setattr(mnist, "FASHION_MNIST_DEBIAN_DIR", tmp_path / "not-installed")
    monkeypatch.setattr(sys, "argv", [str(FASHION), "--quick", "--data-dir",
                                      str(tmp_path / "empty"), "--results-dir",
                                      str(tmp_path / "results")])
    monkeypatch.syspath_prepend(str(MILESTONE))
    script = importlib.import_module("cnn_fashion_mnist")
    assert script.main() == 2
    message = capsys.readouterr().err
    assert "Fashion-MNIST" in message and "nothing was trained" in message
    assert str(tmp_path / "empty") in message and str(tmp_path / "not-installed") in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert not list((tmp_path / "results").glob("**/*.json"))  # no result was faked


def write_fake_cifar(folder: Path, per_batch: int = 40) -> None:
    """Tiny batches in the official format: pickled dicts, b'data' (N x 3072 uint8), b'labels'."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"batch_label": name.encode(),
                 b"labels": rng.integers(0, 10, per_batch).tolist(),
                 b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 b"filenames": [f"{i}.png".encode() for i in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))


def test_cifar_script_runs_end_to_end_on_official_format_batches(tmp_path):
    write_fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    result = run_milestone_script(CIFAR, tmp_path / "results", "--quick",
                                  "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 0, result.output
    assert "s/epoch" in result.output
    assert 0.0 <= result.metrics["cifar10_test_accuracy"] <= 1.0


def test_cifar_script_with_zero_epochs_fails_cleanly(tmp_path):
    write_fake_cifar(tmp_path / "data" / "cifar-10-batches-py")
    result = run_milestone_script(CIFAR, tmp_path / "results", "--quick", "--epochs", "0",
                                  "--data-dir", str(tmp_path / "data"))
    assert "Traceback" not in result.output
    assert result.report is not None and result.metrics["cifar10_loss_decrease"] == 0.0


def test_cifar_script_says_where_it_looked_when_data_is_absent(tmp_path):
    result = run_milestone_script(CIFAR, tmp_path / "results", "--quick",
                                  "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode != 0
    assert "CIFAR-10 is not available" in result.output
    assert "cifar-10-batches-py" in result.output
    assert result.returncode == 2 and result.report is None  # like the other data scripts
    assert str(tmp_path / "nowhere") in result.output
