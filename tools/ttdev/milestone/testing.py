"""Helpers for milestones' learning-verification tests.

A test runs the real script in quick mode, in a subprocess, exactly as nox
and students do, and then asserts on the results file it wrote::

    result = run_milestone_script(SCRIPT, tmp_path, "--quick")
    assert_every_bar_passed(result)
    assert result.metrics["separable_test_accuracy"] >= 0.95

(``milestones/conftest.py`` offers that quick run as the ``quick_run`` fixture.)
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType


@dataclass
class ScriptResult:
    returncode: int
    output: str
    report: dict | None
    results_dir: Path  # the results root holding <milestone>/<script>.json and its sibling files

    @property
    def metrics(self) -> dict:
        return {} if self.report is None else self.report["metrics"]

    @property
    def bars(self) -> list[dict]:
        return [] if self.report is None else self.report["bars"]


REUSE_ENV = "TT_REUSE_MILESTONE_RESULTS"


def _reusable_report(script: Path, args: tuple[str, ...]) -> tuple[dict, str] | None:
    """The report a nox session wrote moments ago for this script and these arguments, if any.

    ``nox -s "test(<package>)"`` runs each unlocked milestone script in quick
    mode and then these tests; it sets ``TT_REUSE_MILESTONE_RESULTS`` to the
    results folder so that a test asking for the same run reads that report
    instead of training the same model a second time. Returns the report and
    the run's printed output.
    """
    root = os.environ.get(REUSE_ENV)
    if not root:
        return None
    path = Path(root) / Path(script).resolve().parent.name / f"{Path(script).stem}.json"
    log = path.with_suffix(".log")  # what the run printed, written by the milestone runner
    if not (path.exists() and log.exists()) or path.stat().st_mtime < Path(script).stat().st_mtime:
        return None
    report = json.loads(path.read_text())
    if _without_results_dir(report.get("argv", [])) != list(args):
        return None
    return report, log.read_text()


def _without_results_dir(argv: list[str]) -> list[str]:
    """The arguments of a run, less ``--results-dir DIR`` (where it wrote, not what it did)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--results-dir":
            skip = True
        elif not arg.startswith("--results-dir="):
            kept.append(arg)
    return kept


def run_milestone_script(
    script: Path, results_dir: Path, *args: str, timeout: float = 600
) -> ScriptResult:
    """Run ``script`` with ``args`` and ``--results-dir results_dir``; read the report it wrote."""
    reused = _reusable_report(script, args)
    if reused is not None:
        report, output = reused
        return ScriptResult(
            0 if report["passed"] else 1, output, report, Path(os.environ[REUSE_ENV])
        )
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    completed = subprocess.run(
        [sys.executable, str(script), *args, "--results-dir", str(results_dir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    reports = sorted(Path(results_dir).glob(f"*/{Path(script).stem}.json"))
    report = json.loads(reports[0].read_text()) if reports else None
    output = completed.stdout + completed.stderr
    return ScriptResult(completed.returncode, output, report, Path(results_dir))


PLANTED_RUN = """\
import runpy, sys
{patch}
sys.argv = [{script!r}, *{args!r}]
runpy.run_path({script!r}, run_name="__main__")
"""


def run_with_planted_bug(
    script: Path, results_dir: Path, patch: str, *args: str, timeout: float = 600
) -> ScriptResult:
    """Run ``script`` as ``run_milestone_script`` does, after ``patch`` (Python source) ran.

    ``patch`` plants a realistic bug in the installed packages at run time, e.g.
    ``"from tinytorch.optim import adam; adam.Adam.step = ..."``: a milestone's
    test then checks that its bars (or its preflight) catch it.
    """
    script = Path(script).resolve()
    argv = [*args, "--results-dir", str(results_dir)]
    source = PLANTED_RUN.format(patch=patch, script=str(script), args=argv)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
    # `python -c` puts the current folder first on the path: the script's folder, as
    # `python script.py` does, so the scripts it imports from beside it are found.
    completed = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True,
                               timeout=timeout, env=env, check=False, cwd=script.parent)
    reports = sorted(Path(results_dir).glob(f"*/{Path(script).stem}.json"))
    report = json.loads(reports[0].read_text()) if reports else None
    return ScriptResult(completed.returncode, completed.stdout + completed.stderr, report,
                        Path(results_dir))


def import_script(script: Path) -> ModuleType:
    """The milestone script ``script`` as a module named after its file, to test its functions
    (its ``if __name__ == "__main__":`` part does not run); imported once per process.

    The scripts beside it that it imports (``from cnn_training import fit``) are imported
    the same way first: ``python script.py`` finds them in the script's own folder.
    """
    script = Path(script).resolve()
    known = sys.modules.get(script.stem)
    if known is not None and getattr(known, "__file__", None) == str(script):
        return known
    for sibling in _imported_siblings(script):
        import_script(sibling)
    spec = importlib.util.spec_from_file_location(script.stem, script)
    module = importlib.util.module_from_spec(spec)
    sys.modules[script.stem] = module   # dataclasses and pickle look the module up there
    spec.loader.exec_module(module)
    return module


def _imported_siblings(script: Path) -> list[Path]:
    """The files beside ``script`` that its top-level imports name (``import mlp_digits``)."""
    names = []
    for node in ast.parse(script.read_text()).body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return [script.parent / f"{name}.py" for name in dict.fromkeys(names)
            if (script.parent / f"{name}.py").is_file()]


def assert_every_bar_passed(result: ScriptResult) -> None:
    """The run exited 0 and its report says passed, for the run and for each of its bars."""
    assert result.returncode == 0, result.output
    assert result.report is not None and result.report["passed"] is True, result.output
    failed = [bar["metric"] for bar in result.bars if not bar["passed"]]
    assert not failed, f"bars not passed: {failed}"


def assert_failed_its_bars(result: ScriptResult) -> None:
    """The run reached its bars, missed some, said FAILED and exited 1 (not a crash)."""
    assert result.returncode == 1, result.output
    assert "FAILED" in result.output
    assert result.report is not None and result.report["passed"] is False, result.output


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_figures_written(result: ScriptResult, *names: str) -> None:
    """The run's results JSON lists exactly the figures ``names``, each a PNG (or the
    graph's SVG) beside it."""
    assert result.report is not None, result.output
    listed = [entry["name"] for entry in result.report.get("figures", [])]
    assert listed == list(names), f"figures listed {listed}, expected {list(names)}"
    folder = result.results_dir / result.report["milestone"]["folder"]
    for entry in result.report["figures"]:
        path = folder / entry["file"]
        assert path.is_file(), f"figure {entry['name']!r} listed but {path} is missing"
        head = path.read_bytes()[:8]
        if path.suffix == ".svg":
            assert head.startswith(b"<?xml"), f"{path} is not an SVG file"
        else:
            assert head == PNG_SIGNATURE, f"{path} is not a PNG"
        assert entry["title"], f"figure {entry['name']!r} has no title"
