"""Running milestone scripts inside a nox session."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import nox

from .options import OptionsError, SessionParser
from .summary import ScriptRun

RESULTS_ENV = "TT_RESULTS_DIR"


def results_root(root: Path) -> Path:
    """Where scripts write results: ``$TT_RESULTS_DIR`` or ``results/milestones``."""
    return Path(os.environ.get(RESULTS_ENV) or root / "results" / "milestones")


def run_script(session, milestone, script, args: Sequence[str], root: Path) -> ScriptRun:
    """Run one milestone script with its declared args plus ``args``; never raises on failure.

    The script writes its results under :func:`results_root` (passed as ``--results-dir``),
    where the summary and the milestone's own tests look for them, unless ``args``
    name a ``--results-dir`` of their own: then that one is used (and not overridden).
    """
    started = time.time()
    chosen = results_dir_in(args)
    results = results_root(root) if chosen is None else chosen
    command = [
        "python",
        str(milestone.folder / script.file),
        *script.args,
        *args,
        *(["--results-dir", str(results)] if chosen is None else []),
    ]
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
        results_file=results / milestone.name / f"{script.stem}.json",
        started=started,
    )


def results_dir_in(args: Sequence[str]) -> Path | None:
    """The folder of a ``--results-dir DIR`` or ``--results-dir=DIR`` in ``args`` (the last
    one, as argparse reads them), or None."""
    found = None
    for index, arg in enumerate(args):
        if arg == "--results-dir" and index + 1 < len(args):
            found = Path(args[index + 1])
        elif arg.startswith("--results-dir="):
            found = Path(arg.partition("=")[2])
    return found


def run_default_scripts(session, milestone, args: Sequence[str], root: Path) -> list[ScriptRun]:
    """Run every ``default = true`` script of ``milestone``, in declaration order."""
    return [run_script(session, milestone, s, args, root) for s in milestone.default_scripts()]


SCRIPT_FLAG = "--script"


def select_scripts(milestone, args: Sequence[str]) -> tuple[list, list[str]]:
    """The scripts named with ``--script FILE`` (repeatable), else the default ones; and the rest.

    ``nox -s milestone_04 -- --script cnn_fashion_mnist.py --quick`` runs a
    script that is not run by default (one that needs data users bring).
    """
    parser = SessionParser()
    parser.add_argument(SCRIPT_FLAG, dest="scripts", action="append", default=[], metavar="FILE")
    rest = list(args)
    try:
        names = parser.take(rest).scripts
    except OptionsError as error:
        declared = ", ".join(s.file for s in milestone.scripts)
        raise OptionsError(f"{error}: {SCRIPT_FLAG} needs a file name, one of: {declared}") \
            from None
    scripts = [milestone.script(name) for name in names] or list(milestone.default_scripts())
    return scripts, rest


def run_pytest(session, tests: Path, args: Sequence[str] = (), env: dict | None = None) -> None:
    """Run pytest on the folder ``tests``; an absent folder or no test collected is an error.

    pytest exits with code 5 when it collects nothing, which would otherwise let a
    package without tests pass its session silently.
    """
    shown = _relative(tests)
    if not tests.is_dir():
        session.error(f"{shown} does not exist: the tests belong in that folder")
    try:
        session.run("pytest", str(tests), *args, env=env or {})
    except nox.command.CommandFailed as failure:
        if failure.return_code == NO_TESTS_COLLECTED:
            session.error(
                f"{shown} has no tests: pytest collected none "
                f"(files must be named test_*.py with test_* functions)"
            )
        raise


NO_TESTS_COLLECTED = 5


def _relative(path: Path) -> str:
    """``path`` relative to the current directory when it lies below it (shorter messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def milestone_requirements(milestones) -> tuple[list[str], list[str]]:
    """(requirements, requirements_no_deps) of several milestones, without repeats."""
    normal = list(dict.fromkeys(r for m in milestones for r in m.requirements))
    no_deps = list(dict.fromkeys(r for m in milestones for r in m.requirements_no_deps))
    return normal, no_deps
