"""Learning verification for milestone 06: every technique's measured result is asserted.

``quick_run`` (milestones/conftest.py) is SCRIPT's ``--quick`` run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ttdev.milestone.testing import (
    assert_every_bar_passed,
    assert_failed_its_bars,
    assert_figures_written,
    run_milestone_script,
    run_with_planted_bug,
)

MILESTONE = Path(__file__).resolve().parents[1]
SCRIPT = MILESTONE / "optimize_models.py"


@pytest.fixture(scope="module")
def systems_report(quick_run):
    path = next(quick_run.results_dir.glob("*/systems_report.json"))
    return json.loads(path.read_text())


def test_quick_run_passes_every_bar(quick_run):
    assert_every_bar_passed(quick_run)


def test_quick_run_draws_pruning_size_latency_and_kernels(quick_run):
    assert_figures_written(quick_run, "pruning", "size", "latency", "kernels")


def test_int8_cuts_bytes_and_keeps_accuracy(quick_run):
    m = quick_run.metrics
    assert m["mlp_int8_size_reduction"] >= 3.5 and m["cnn_int8_size_reduction"] >= 3.5
    assert m["mlp_int8_accuracy_drop"] <= 0.01 and m["cnn_int8_accuracy_drop"] <= 0.01


def test_pruning_curve_and_90_percent_sparsity(quick_run, systems_report):
    assert quick_run.metrics["mlp_pruned90_sparsity"] >= 0.899
    assert quick_run.metrics["mlp_pruned90_accuracy_drop"] <= 0.02
    curve = systems_report["pruning_curve"]
    assert sorted(float(s) for s in curve) == [0.5, 0.75, 0.9, 0.95]
    for sparsity, point in curve.items():
        assert point["sparsity"] >= float(sparsity) - 1e-3


def test_kv_cache_same_tokens_and_faster(quick_run, systems_report):
    assert quick_run.metrics["kv_cache_tokens_identical"] == 1.0
    assert quick_run.metrics["kv_cache_speedup"] >= 2.0  # the quick bar; timing on a busy core
    assert systems_report["kv_cache"]["cache_bytes"] > 0


def test_report_is_a_leaderboard_entry(systems_report):
    from tinytorch.systems import leaderboard

    scored = leaderboard.entry_score(systems_report)
    assert set(scored["models"]) == {"mlp", "cnn", "gpt"}
    assert scored["score"] > 0
    for model in systems_report["models"].values():
        assert model["baseline"]["size_bytes"] > 0 and model["baseline"]["latency_ms"] > 0


def test_the_student_trained_alone_is_a_control_not_a_technique(systems_report):
    mlp = systems_report["models"]["mlp"]
    assert "alone_64_32_10" in mlp["controls"]
    assert "alone_64_32_10" not in mlp["techniques"]
    assert "distilled_64_32_10" in mlp["techniques"]


def test_profiles_cover_every_model(systems_report):
    profiles = systems_report["profiles"]
    assert set(profiles) == {"mlp", "cnn", "gpt"}
    assert all(p["forward_flops"] > 0 and p["latency_ms"] > 0 for p in profiles.values())


def test_a_broken_budget_fails(tmp_path):
    """One epoch and no GPT training cannot reach the bars: the script must fail."""
    result = run_milestone_script(SCRIPT, tmp_path, "--quick", "--epochs", "1")
    assert_failed_its_bars(result)


KV_CACHE_WITHOUT_OFFSET = """
from tinytorch.systems import kv_cache

def append(self, layer, k, v):  # forgets the offset: every step overwrites the first positions
    stop = self.length + k.shape[2]
    self.keys[layer][:, :, : k.shape[2]] = k
    self.values[layer][:, :, : k.shape[2]] = v
    return self.keys[layer][:, :, :stop], self.values[layer][:, :, :stop]

kv_cache.KVCache.append = append
"""


def test_the_grade_run_passes_every_bar_in_its_smaller_budget(tmp_path):
    """``nox -s grade`` runs ``--grade``: half the GPT training, one timing of each
    generation, no figures; the quick bars still hold for the reference."""
    run = run_milestone_script(SCRIPT, tmp_path, "--grade")
    assert_every_bar_passed(run)
    assert run.report["grade"] and run.report["figures"] == []


@pytest.mark.parametrize("mode", ["--quick", "--grade"])
def test_a_kv_cache_that_overwrites_its_first_positions_fails_the_milestone(tmp_path, mode):
    run = run_with_planted_bug(SCRIPT, tmp_path, KV_CACHE_WITHOUT_OFFSET, mode)
    assert_failed_its_bars(run)
    failed = {bar["metric"] for bar in run.bars if not bar["passed"]}
    assert "kv_cache_tokens_identical" in failed
