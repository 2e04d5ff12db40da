"""Learning verification for milestone 04: quick runs in a subprocess, bars asserted."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

MILESTONE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(MILESTONE.parent))
from common.testing import run_milestone_script  # noqa: E402

DIGITS = MILESTONE / "cnn_digits.py"
CIFAR = MILESTONE / "lecun_cifar10.py"


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


def test_an_untrained_cnn_fails_its_bars(tmp_path):
    pytest.importorskip("sklearn")
    result = run_milestone_script(DIGITS, tmp_path, "--quick", "--epochs", "0")
    assert result.returncode != 0


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


def test_cifar_script_says_where_it_looked_when_data_is_absent(tmp_path):
    result = run_milestone_script(CIFAR, tmp_path / "results", "--quick",
                                  "--data-dir", str(tmp_path / "nowhere"))
    assert result.returncode != 0
    assert "CIFAR-10 is not available" in result.output
    assert "cifar-10-batches-py" in result.output
