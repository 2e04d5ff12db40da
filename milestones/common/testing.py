"""Helpers for milestones' learning-verification tests.

A test runs the real script in quick mode, in a subprocess, exactly as nox
and students do, and then asserts on the results file it wrote::

    result = run_milestone_script(SCRIPT, tmp_path, "--quick")
    assert result.returncode == 0, result.output
    assert result.metrics["separable_test_accuracy"] >= 0.95
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ScriptResult:
    returncode: int
    output: str
    report: dict | None

    @property
    def metrics(self) -> dict:
        return {} if self.report is None else self.report["metrics"]

    @property
    def bars(self) -> list[dict]:
        return [] if self.report is None else self.report["bars"]


def run_milestone_script(script: Path, results_dir: Path, *args: str, timeout: float = 600) -> ScriptResult:
    """Run ``script`` with ``args`` and ``--results-dir results_dir``; read the report it wrote."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    completed = subprocess.run(
        [sys.executable, str(script), *args, "--results-dir", str(results_dir)],
        capture_output=True, text=True, timeout=timeout, env=env, check=False,
    )
    reports = sorted(Path(results_dir).glob(f"*/{Path(script).stem}.json"))
    report = json.loads(reports[0].read_text()) if reports else None
    return ScriptResult(completed.returncode, completed.stdout + completed.stderr, report)
