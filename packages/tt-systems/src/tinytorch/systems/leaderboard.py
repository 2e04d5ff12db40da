"""The class leaderboard: rank milestone 06 reports on one stated score.

Each student's run of ``milestones/06_2024_systems_age/optimize_models.py``
writes ``systems_report.json``: for every model, its baseline (accuracy,
latency, size) and the same three numbers after each technique. The score
rewards cutting latency and size while holding accuracy:

    for each model, each technique t whose accuracy drop is at most 1 point:
        gain(t) = log2(size_before / size_after) + log2(latency_before / latency_after)
    score(model) = max(0, best gain(t))          (0 if no technique held accuracy)
    score(entry) = sum of score(model) over the models in the report

So halving a model's size is worth 1 point, as is halving its latency; a
technique that loses more than a point of accuracy scores nothing. Models
without an accuracy (the GPT) count with their latency and size alone.

Run: ``nox -s leaderboard -- REPORT.json [REPORT.json ...]`` or
``python leaderboard.py REPORT...``. This file needs only the standard
library, so the table can be printed anywhere.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

MAX_ACCURACY_DROP = 0.01  # one percentage point


def technique_gain(baseline: dict, after: dict) -> float | None:
    """log2 size ratio + log2 latency ratio, or None when accuracy dropped by more than a point."""
    # BEGIN SOLUTION
    if baseline.get("accuracy") is not None and after.get("accuracy") is not None:
        if baseline["accuracy"] - after["accuracy"] > MAX_ACCURACY_DROP:
            return None
    size = math.log2(baseline["size_bytes"] / after["size_bytes"])
    latency = math.log2(baseline["latency_ms"] / after["latency_ms"])
    return size + latency
    # END SOLUTION


def model_score(model: dict) -> tuple[float, str]:
    """(score, the technique that earned it) for one model of a report."""
    best, best_name = 0.0, "-"
    for name, after in model.get("techniques", {}).items():
        gain = technique_gain(model["baseline"], after)
        if gain is not None and gain > best:
            best, best_name = gain, name
    return best, best_name


def entry_score(report: dict) -> dict:
    """The score of one report, with the per-model details."""
    models = {name: model_score(model) for name, model in report["models"].items()}
    return {
        "entry": report.get("entry", "?"),
        "score": sum(s for s, _ in models.values()),
        "models": {name: {"score": s, "technique": t} for name, (s, t) in models.items()},
    }


def load_report(path: Path) -> dict:
    """A report file; its entry name defaults to the file's folder name."""
    try:
        report = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"leaderboard: cannot read report {path}: {error}") from error
    if "models" not in report:
        raise SystemExit(
            f"leaderboard: {path} has no 'models' key; expected a systems_report.json "
            "written by milestones/06_2024_systems_age/optimize_models.py"
        )
    report.setdefault("entry", Path(path).resolve().parent.name)
    problems = report_problems(report)
    if problems:
        raise SystemExit(
            f"leaderboard: {path} cannot be ranked:\n  " + "\n  ".join(problems)
        )
    return report


def report_problems(report: dict) -> list[str]:
    """What makes a report unrankable: sizes and latencies must be finite and > 0,
    accuracies finite in [0, 1] (or absent, for models without one)."""
    problems = []
    for model_name, model in report["models"].items():
        rows = {"baseline": model.get("baseline")}
        rows.update({f"technique {t!r}": row for t, row in model.get("techniques", {}).items()})
        for where, row in rows.items():
            if not isinstance(row, dict):
                problems.append(f"model {model_name!r}: {where} is missing or not an object")
                continue
            for field in ("size_bytes", "latency_ms"):
                value = row.get(field)
                if not _is_number(value) or not value > 0 or not math.isfinite(value):
                    problems.append(
                        f"model {model_name!r}, {where}: {field} is {value!r}, "
                        "expected a finite number > 0"
                    )
            accuracy = row.get("accuracy")
            if accuracy is not None and not (_is_number(accuracy) and 0 <= accuracy <= 1):
                problems.append(
                    f"model {model_name!r}, {where}: accuracy is {accuracy!r}, "
                    "expected a number in [0, 1] (or null for a model without one)"
                )
    return problems


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def rank(reports: list[dict]) -> list[dict]:
    """Entries from the highest score to the lowest."""
    return sorted((entry_score(r) for r in reports), key=lambda e: e["score"], reverse=True)


def format_leaderboard(ranked: list[dict]) -> str:
    models = sorted({m for e in ranked for m in e["models"]})
    header = f"{'#':>2} {'entry':<20} {'score':>7} " + " ".join(f"{m[:22]:>22}" for m in models)
    lines = [
        "score = sum over models of the best log2(size cut) + log2(latency cut) "
        "among techniques losing <= 1 accuracy point",
        header,
        "-" * len(header),
    ]
    for place, e in enumerate(ranked, start=1):
        cells = []
        for m in models:
            detail = e["models"].get(m)
            cells.append(f"{detail['score']:.2f} {detail['technique'][:15]}" if detail else "-")
        lines.append(
            f"{place:>2} {e['entry'][:20]:<20} {e['score']:>7.2f} "
            + " ".join(f"{c:>22}" for c in cells)
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rank milestone 06 systems reports.")
    parser.add_argument("reports", nargs="+", type=Path, help="systems_report.json files")
    args = parser.parse_args(argv)
    print(format_leaderboard(rank([load_report(p) for p in args.reports])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
