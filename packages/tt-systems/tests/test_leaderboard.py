"""The leaderboard: the stated score, accuracy gating and ranking."""

from __future__ import annotations

import json
import math

import pytest
from tinytorch.systems import leaderboard as L


def _report(entry, size_after, latency_after, accuracy_after):
    base = {"accuracy": 0.96, "latency_ms": 1.0, "size_bytes": 4000}
    return {
        "entry": entry,
        "models": {
            "mlp": {
                "baseline": base,
                "techniques": {
                    "int8": {
                        "accuracy": accuracy_after,
                        "latency_ms": latency_after,
                        "size_bytes": size_after,
                    }
                },
            }
        },
    }


def test_gain_is_log2_size_plus_log2_latency():
    report = _report("a", 1000, 0.5, 0.955)
    assert L.entry_score(report)["score"] == math.log2(4) + math.log2(2)


def test_losing_more_than_a_point_scores_nothing():
    assert L.entry_score(_report("a", 1000, 0.5, 0.94))["score"] == 0.0


def test_a_slower_technique_can_still_win_on_size_but_never_goes_below_zero():
    assert L.entry_score(_report("a", 1000, 2.0, 0.96))["score"] == 1.0
    assert L.entry_score(_report("a", 8000, 4.0, 0.96))["score"] == 0.0


def test_rank_and_table(tmp_path, capsys):
    paths = []
    for name, size in (("small", 500), ("large", 2000)):
        path = tmp_path / name / "systems_report.json"
        path.parent.mkdir()
        report = _report(name, size, 1.0, 0.96)
        del report["entry"]
        path.write_text(json.dumps(report))
        paths.append(str(path))
    assert L.main(paths) == 0
    out = capsys.readouterr().out
    assert out.index("small") < out.index("large")
    assert "score" in out and "int8" in out


def test_controls_are_shown_but_never_scored():
    """A model trained another way for comparison is not a technique that shrinks this one."""
    report = _report("a", 4000, 1.0, 0.96)  # int8 entry with no gain
    report["models"]["mlp"]["controls"] = {
        "small_alone": {"accuracy": 0.96, "latency_ms": 0.1, "size_bytes": 100}
    }
    assert L.entry_score(report)["score"] == 0.0


@pytest.mark.parametrize(
    ("size_after", "latency_after", "accuracy_after", "problem"),
    [
        (1000, 0.5, float("nan"), "accuracy is nan"),
        (0, 0.5, 0.96, "size_bytes is 0"),
        (1000, 0.0, 0.96, "latency_ms is 0.0"),
        (1000, float("inf"), 0.96, "latency_ms is inf"),
        (1000, 0.5, 1.5, "accuracy is 1.5"),
        ("1000", 0.5, 0.96, "size_bytes is '1000'"),
    ],
)
def test_a_report_with_a_non_finite_or_zero_number_is_refused_naming_it(
    tmp_path, size_after, latency_after, accuracy_after, problem
):
    path = tmp_path / "student" / "systems_report.json"
    path.parent.mkdir()
    path.write_text(json.dumps(_report("s", size_after, latency_after, accuracy_after)))
    with pytest.raises(SystemExit) as refused:
        L.load_report(path)
    message = str(refused.value)
    assert str(path) in message and problem in message and "'int8'" in message


def test_a_nan_accuracy_report_is_never_ranked_first(tmp_path):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(_report("good", 1000, 0.5, 0.955)))
    bad.write_text(json.dumps(_report("bad", 10, 0.01, float("nan"))))
    assert L.main([str(good)]) == 0
    with pytest.raises(SystemExit, match="accuracy is nan"):
        L.main([str(good), str(bad)])
