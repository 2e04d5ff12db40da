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


def _bar_line(bar: dict) -> str:
    return f"{bar['metric']} = {_value(bar['value'])}  (bar {bar['bar']})"


def rows_for(run: ScriptRun, details: bool = False) -> list[list[str]]:
    """One row per script (verdict, bars passed, time), then one per failing bar.

    ``details`` adds a row for every bar, passing ones too.
    """
    results = read_results(run)
    head = [run.milestone, str(run.year), run.script]
    time_text = f"{run.seconds:.1f}s"
    if results is None:
        reason = f"crashed, exit {run.exit_code}" if run.exit_code else "no results file"
        return [[*head, "FAIL", reason, time_text]]
    bars = results.get("bars", [])
    if not bars:
        return [[*head, "FAIL", "no bars declared", time_text]]
    passed = sum(1 for bar in bars if bar["passed"])
    verdict = "PASS" if script_passed(run) else "FAIL"
    rows = [[*head, verdict, f"{passed}/{len(bars)} bars", time_text]]
    for bar in bars:
        if details or not bar["passed"]:
            mark = "ok" if bar["passed"] else "FAIL"
            rows.append(["", "", "", "", f"{mark:>4}  {_bar_line(bar)}", ""])
    return rows


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned columns; a row's last cell may overflow (it holds the bar details)."""
    short = [r for r in rows if r[0] or r[1] or r[2]]
    widths = [max(len(r[i]) for r in [header, *short]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()
    text = [line, "-" * len(line)]
    for row in rows:
        if row in short:
            text.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        else:
            text.append(" " * 4 + row[4])
    return text


def format_summary(runs: list[ScriptRun], quick: bool, waiting: list[str] = (),
                   details: bool = False) -> str:
    """One line per script, its failing bars beneath, the waiting milestones, a verdict line.

    ``details`` lists every bar (``nox -s milestones -- --details``).
    """
    header = ["milestone", "year", "script", "", "bars", "time"]
    rows = [row for run in runs for row in rows_for(run, details)]
    text = _table(header, rows)
    passed = sum(1 for run in runs if script_passed(run))
    mode = "quick pass (--quick bars)" if quick else "full run"
    total = sum(run.seconds for run in runs)
    text += [*(f"not run: {w}" for w in waiting),
             f"{passed} of {len(runs)} milestone scripts passed, {mode}, {total:.0f}s"]
    if not details:
        text.append("every bar: nox -s milestones -- --details, or the results/milestones/*/*.json")
    return "\n".join(text)


def script_passed(run: ScriptRun) -> bool:
    """A script passes when it exited 0 and its fresh results file says every bar passed."""
    results = read_results(run)
    return run.exit_code == 0 and results is not None and bool(results.get("passed"))
