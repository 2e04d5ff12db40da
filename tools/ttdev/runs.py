"""Running milestone scripts inside a nox session."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import nox

from .summary import ScriptRun

RESULTS_ENV = "TT_RESULTS_DIR"


def results_root(root: Path) -> Path:
    """Where scripts write results: ``$TT_RESULTS_DIR`` or ``results/milestones``."""
    return Path(os.environ.get(RESULTS_ENV) or root / "results" / "milestones")


def run_script(session, milestone, script, args: Sequence[str], root: Path) -> ScriptRun:
    """Run one milestone script with its declared args plus ``args``; never raises on failure."""
    started = time.time()
    command = ["python", str(milestone.folder / script.file), *script.args, *args]
    try:
        session.run(*command)
        exit_code = 0
    except nox.command.CommandFailed as failure:
        exit_code = getattr(failure, "return_code", None) or 1
    return ScriptRun(
        milestone=f"{milestone.number:02d} {milestone.slug}",
        year=milestone.year,
        script=script.file,
        exit_code=exit_code,
        seconds=time.time() - started,
        results_file=results_root(root) / milestone.name / f"{script.stem}.json",
        started=started,
    )


def run_default_scripts(session, milestone, args: Sequence[str], root: Path) -> list[ScriptRun]:
    """Run every ``default = true`` script of ``milestone``, in declaration order."""
    return [run_script(session, milestone, s, args, root) for s in milestone.default_scripts()]


def milestone_requirements(milestones) -> tuple[list[str], list[str]]:
    """(requirements, requirements_no_deps) of several milestones, without repeats."""
    normal = list(dict.fromkeys(r for m in milestones for r in m.requirements))
    no_deps = list(dict.fromkeys(r for m in milestones for r in m.requirements_no_deps))
    return normal, no_deps
