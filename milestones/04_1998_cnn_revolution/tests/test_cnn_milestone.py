"""Learning verification for milestone 04: quick runs in a subprocess, bars asserted."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
from ttdev.milestone.testing import import_script, run_milestone_script, run_with_planted_bug

MILESTONE = Path(__file__).resolve().parents[1]

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
    TrainResult = import_script(MILESTONE / "cnn_training.py").TrainResult

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
    from tinytorch.optim.datasets import mnist

    monkeypatch.setattr(mnist, "FASHION_MNIST_DEBIAN_DIR", tmp_path / "not-installed")
    monkeypatch.setattr(sys, "argv", [str(FASHION), "--quick", "--data-dir",
                                      str(tmp_path / "empty"), "--results-dir",
                                      str(tmp_path / "results")])
    script = import_script(FASHION)
    assert script.main() == 2
    message = capsys.readouterr().err
    assert "Fashion-MNIST" in message and "nothing was trained" in message
    assert str(tmp_path / "empty") in message and str(tmp_path / "not-installed") in message
    assert "apt-get install dataset-fashion-mnist" in message
    assert not list((tmp_path / "results").glob("**/*.json"))  # no result was faked


def write_fake_cifar(folder: Path, per_batch: int = 40, learnable: bool = False) -> None:
    """Small batches in the official format: pickled dicts, b'data' (N x 3072 uint8), b'labels'.

    With ``learnable`` each class has its own colour and stripe pattern under
    noise, so a network that learns separates them; otherwise pixels and labels
    are independent noise and nothing can be learnt beyond chance.
    """
    rng = np.random.default_rng(0)
    looks = rng.uniform(0.2, 0.8, (10, 3, 1, 1)) + 0.2 * np.sin(
        np.arange(32) * rng.uniform(0.2, 1.5, (10, 1, 1, 1)))  # (10, 3, 1, 32): colour, stripes
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = rng.integers(0, 10, per_batch)
        if learnable:
            images = looks[labels] + rng.normal(0, 0.1, (per_batch, 3, 32, 32))
            pixels = (np.clip(images, 0, 1) * 255).astype(np.uint8).reshape(per_batch, 3072)
        else:
            pixels = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        batch = {b"batch_label": name.encode(), b"labels": labels.tolist(), b"data": pixels,
                 b"filenames": [f"{i}.png".encode() for i in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))


@pytest.fixture(scope="module")
def cifar_data(tmp_path_factory):
    """1,000 training and 200 test generated images a network can learn to tell apart."""
    root = tmp_path_factory.mktemp("cifar")
    write_fake_cifar(root / "cifar-10-batches-py", per_batch=200, learnable=True)
    return root


@pytest.fixture(scope="module")
def cifar_quick_run(cifar_data, tmp_path_factory):
    return run_milestone_script(CIFAR, tmp_path_factory.mktemp("results"), "--quick",
                                "--data-dir", str(cifar_data))


def epoch_lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("epoch ")
            and "s/epoch" in line]


def test_cifar_quick_run_learns_generated_images_and_passes(cifar_quick_run):
    result = cifar_quick_run
    assert result.returncode == 0, result.output
    assert result.metrics["test_accuracy"] >= 0.5
    assert result.metrics["train_loss_vs_chance"] <= 0.8
    assert result.metrics["read_official_cifar10"] == 0.0  # --quick never is the official set


def test_cifar_run_says_what_it_read_and_which_recipe(cifar_quick_run):
    output = cifar_quick_run.output
    assert "read 1,000 training and 200 test images: NOT the official CIFAR-10 split" in output
    assert "recipe: ResNet-8 (MLPerf Tiny)" in output and "OneCycleLR" in output
    assert "test accuracy on the 200 test images read (not CIFAR-10 test accuracy)" in output
    assert "CIFAR-10 test accuracy (the official" not in output
    facts = cifar_quick_run.report["facts"]
    assert (facts["train_images"], facts["test_images"]) == (1000, 200)


def test_cifar_run_logs_train_and_test_accuracy_each_epoch(cifar_quick_run):
    curves = cifar_quick_run.report["curves"]
    for name in ("train_loss", "train_accuracy", "test_accuracy"):
        assert [step for step, _ in curves[name]] == [1, 2], name
    assert curves["test_accuracy"][-1][1] == cifar_quick_run.metrics["test_accuracy"]
    lines = epoch_lines(cifar_quick_run.output)
    assert len(lines) == 2 and all("train acc" in line and "test acc" in line for line in lines)


def test_a_shortened_run_is_the_beginning_of_the_full_run(cifar_quick_run, cifar_data,
                                                          tmp_path):
    short = run_milestone_script(CIFAR, tmp_path, "--quick", "--epochs", "1",
                                 "--data-dir", str(cifar_data))
    assert "running 1 epoch(s) of a 2-epoch schedule" in short.output
    # same seed, same schedule: the first epoch (loss, accuracies, lr) is identical
    first_epoch = [epoch_lines(run.output)[0].split(":", 1)[1].split(",")[:4]
                   for run in (short, cifar_quick_run)]
    assert first_epoch[0] == first_epoch[1]


def test_schedule_length_is_the_recipes_unless_the_run_is_longer():
    schedule_epochs = import_script(CIFAR).schedule_epochs

    assert schedule_epochs(3, 10) == 10
    assert schedule_epochs(10, 10) == 10
    assert schedule_epochs(15, 10) == 15


def test_only_the_official_split_is_called_cifar10():
    describe_counts = import_script(CIFAR).describe_counts

    official, sentence = describe_counts(50_000, 10_000)
    assert official and "the official CIFAR-10 split" in sentence
    for counts in [(5_085, 1_017), (50_000, 9_999), (49_999, 10_000)]:
        official, sentence = describe_counts(*counts)
        assert not official and "NOT the official CIFAR-10 split" in sentence


def test_a_network_that_cannot_learn_fails_the_quick_bars(tmp_path):
    """Labels independent of the pixels: the network stays at chance, as a dead one would."""
    write_fake_cifar(tmp_path / "data" / "cifar-10-batches-py", per_batch=200)
    result = run_milestone_script(CIFAR, tmp_path / "results", "--quick",
                                  "--data-dir", str(tmp_path / "data"))
    assert result.returncode == 1, result.output
    assert "Traceback" not in result.output
    assert {"test_accuracy", "train_loss_vs_chance"} <= failed_bars(result)
    assert result.metrics["test_accuracy"] < 0.3
    assert result.metrics["train_loss_vs_chance"] > 0.9


CONV_WEIGHT_GRADIENT_AVERAGED = """
from tinytorch.spatial.functional import conv

right = conv.Conv2dFunction.backward

def averaged_weight(ctx, grad_out):  # the batch averaged instead of summed
    grad_x, grad_weight, grad_bias = right(ctx, grad_out)
    if grad_weight is not None:
        grad_weight = grad_weight / grad_out.shape[0]
    return grad_x, grad_weight, grad_bias

conv.Conv2dFunction.backward = staticmethod(averaged_weight)
"""


def test_a_conv_weight_gradient_averaged_over_the_batch_stops_the_milestone(tmp_path):
    pytest.importorskip("sklearn")
    run = run_with_planted_bug(DIGITS, tmp_path, CONV_WEIGHT_GRADIENT_AVERAGED, "--quick")
    assert run.returncode == 1, run.output
    assert "PREFLIGHT FAILED" in run.output
    diagnosis = run.report["diagnosis"]
    assert "0.weight" in diagnosis and "a Function (backward) of tt-spatial" in diagnosis
