"""The leaderboard: the stated score, accuracy gating and ranking."""

from __future__ import annotations

import json
import math

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
