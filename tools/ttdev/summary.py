"""The one-screen summary of a ``nox -s milestones`` run, read from the results files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ScriptRun:
    """One script run by nox: what ran, its exit code, the results file it should write."""

    milestone: str      # e.g. "01 perceptron"
    year: int
    script: str
    exit_code: int
    seconds: float
    results_file: Path
    started: float      # time.time() before the run; older results files are stale


def read_results(run: ScriptRun) -> dict | None:
    """The results JSON this run wrote, or None if it wrote none (or only a stale one)."""
    path = run.results_file
    if not path.is_file() or path.stat().st_mtime < run.started:
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def _value(value) -> str:
    """A metric value for the table."""
    return "not recorded" if value is None else f"{value:.4g}"


def rows_for(run: ScriptRun) -> list[list[str]]:
    """Table rows for one script: one per bar, or one explaining why there is no result."""
    results = read_results(run)
    head = [run.milestone, str(run.year), run.script]
    time_text = f"{run.seconds:.1f}s"
    if results is None:
        reason = f"crashed, exit {run.exit_code}" if run.exit_code else "no results file"
        return [[*head, reason, "-", "FAIL", time_text]]
    rows = []
    for i, bar in enumerate(results.get("bars", [])):
        verdict = "PASS" if bar["passed"] and run.exit_code == 0 else "FAIL"
        first = head if i == 0 else ["", "", ""]
        rows.append([*first, f"{bar['metric']} = {_value(bar['value'])}", bar["bar"],
                     verdict, time_text if i == 0 else ""])
    if not rows:
        rows.append([*head, "no bars declared", "-", "FAIL", time_text])
    return rows


def format_summary(runs: list[ScriptRun], quick: bool, waiting: list[str] = ()) -> str:
    """The table for every run, the milestones still ``waiting`` for a package, a verdict line."""
    header = ["milestone", "year", "script", "result", "bar", "", "time"]
    rows = [row for run in runs for row in rows_for(run)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    text = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), line]
    text += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    passed = sum(1 for run in runs if script_passed(run))
    mode = " (--quick bars)" if quick else ""
    text += [line, *(f"not run: {w}" for w in waiting),
             f"{passed} of {len(runs)} milestone scripts passed{mode}"]
    return "\n".join(text)


def script_passed(run: ScriptRun) -> bool:
    """A script passes when it exited 0 and its fresh results file says every bar passed."""
    results = read_results(run)
    return run.exit_code == 0 and results is not None and bool(results.get("passed"))
