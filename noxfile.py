"""tinytorch's entry point: test a package alone, run the milestones, lint, build, bench.

Every package and milestone is discovered from the tree (``packages/*/pyproject.toml``,
``milestones/NN_*/milestone.toml``); what each session does is in ``tools/ttdev/sessions.py``.

    nox -s tests                      everything CI runs
    nox -s "test(tt-tensor)"          one package, alone with its dependencies, as wheels
    nox -s milestone_01 -- --quick    one milestone
    nox -s milestones                 every milestone whose packages exist, then a summary
    nox -s lint | docs | build | bench | map
    nox -s mutants -- tt-optim        mutation testing of the solution regions (slow)
    nox -s task_order -- tt-nn        each task's tests pass with the tasks before it only
    nox -s task_tables                the task tables at the top of the package guides

Sessions that install packages accept ``-- --reference tt-tensor,tt-autograd``
(or ``TT_REFERENCE``) to take those packages from a reference wheelhouse
(``--reference-wheelhouse DIR`` or ``TT_REFERENCE_WHEELHOUSE``, default ``dist/``).

This file imports the tools package ``ttdev`` (``tools/``): ``python3 tools/run_nox.py``
installs it into nox's own environment; a nox of your own needs ``pip install -e tools``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
INSTALL_HINT = ("run `python3 tools/run_nox.py ...` (nox in an environment of its own, with "
                "the tools) or `pip install -e tools` into the Python that runs nox")

try:
    import ttdev
    from ttdev import sessions
    from ttdev.graph import GraphError, read_tree
except ModuleNotFoundError as _missing:
    if not (_missing.name or "").startswith("ttdev"):
        raise
    sys.exit(f"noxfile.py: the tools package (ttdev) is not installed in {sys.executable}: "
             f"{INSTALL_HINT}")
if Path(ttdev.__file__).resolve().parent != ROOT / "tools" / "ttdev":
    sys.exit(f"noxfile.py: {sys.executable} imports ttdev from "
             f"{Path(ttdev.__file__).resolve().parent}, not from this tree's tools/: "
             f"{INSTALL_HINT}")

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = True

try:   # packages in teaching order, milestones in historical order
    TREE = read_tree(ROOT)
except GraphError as _error:   # a malformed pyproject: name the file, not a TOML traceback
    sys.exit(f"noxfile.py: the packages of this tree cannot be read:\n  {_error}")
PACKAGES = list(TREE.packages)


# -- packages -----------------------------------------------------------------


@nox.session
@nox.parametrize("package", PACKAGES, ids=PACKAGES)
def test(session: nox.Session, package: str) -> None:
    """One package alone (only its closure, as wheels), then the milestones it unlocks."""
    sessions.test(session, TREE, package)


@nox.session
def task(session: nox.Session) -> None:
    """One task's tests: ``nox -s task -- tt-nn linear`` (the package's closure, as wheels)."""
    sessions.task(session, TREE)


# -- milestones ---------------------------------------------------------------


for _milestone in TREE.milestones:   # milestone_01, ...: "1957: The perceptron (...)"
    nox.session(name=_milestone.session)(sessions.milestone_session(TREE, _milestone))


@nox.session
def milestones(session: nox.Session) -> None:
    """Every milestone whose packages exist, in historical order, then a short summary.

    ``-- --details`` lists every bar in the summary, not only the failing ones.
    """
    sessions.milestones(session, TREE)


# -- quality ------------------------------------------------------------------


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Everything CI runs: every test(package), tools, e2e (not in a starter), lint, docs."""
    sessions.tests(session, TREE, registered=nox.registry.get())


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, no tinytorch/__init__.py in any tree or wheel, tt-* ranges admit local versions,
    task lists match the solution regions and tests."""
    sessions.lint(session, TREE)


@nox.session
def task_tables(session: nox.Session) -> None:
    """Rewrite the task table at the top of each package guide from its tasks.toml."""
    sessions.task_tables(session, TREE)


@nox.session
def tools(session: nox.Session) -> None:
    """The tests of the tooling itself: tools/ttdev and the milestone runner (fast ones)."""
    sessions.tools(session, TREE)


@nox.session
def mutants(session: nox.Session) -> None:
    """Plant mistakes in solution regions, one at a time; report which survive the package's
    tests (slow: not part of ``tests``). ``-- tt-optim --max-per-region 3 --seed 1``."""
    sessions.mutants(session, TREE)


@nox.session
def task_order(session: nox.Session) -> None:
    """Each task's tests pass with it and the tasks before it written, the later ones still
    stubs (slow: not part of ``tests``). ``-- tt-nn``; ``-- tt-nn --placement [--write]``
    says where each test belongs (and rewrites the tasks.toml tests lists)."""
    sessions.task_order(session, TREE)


@nox.session
def e2e(session: nox.Session) -> None:
    """End-to-end tests of the class workflow: starter, progress, isolate, grade, versions."""
    sessions.e2e(session, TREE)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (mkdocs --strict) into site/ and test it in a browser."""
    sessions.docs(session, TREE)


@nox.session
def serve(session: nox.Session) -> None:
    """Build the site into site/ and serve it on http://127.0.0.1:8000/ (`-- PORT` for another)."""
    sessions.serve(session, TREE)


# -- distribution and measurement ----------------------------------------------


@nox.session
def build(session: nox.Session) -> None:
    """Every package's wheel and sdist into one folder (default dist/), the build backend's
    own wheels into its build-tools/ (so grading builds with no index), a wheelhouse.json."""
    sessions.build(session, TREE)


@nox.session
def bench(session: nox.Session) -> None:
    """Training-step benchmarks, tinytorch against PyTorch when torch==2.13.0 installs."""
    sessions.bench(session, TREE)


# -- the class workflow ---------------------------------------------------------


@nox.session(python=False)
def starter(session: nox.Session) -> None:
    """Write the students' starter into DIR: every solution region becomes a stub."""
    sessions.starter(session, TREE)


@nox.session
def progress(session: nox.Session) -> None:
    """Where the tree stands: tasks and functions left, tests, milestones unlocked and passed.

    Each test has a time limit (``-- --timeout SECONDS``, default 60): the first test that
    hits it fails, is named, and stops that package's run (one timeout per hanging function)."""
    sessions.progress(session, TREE)


@nox.session(python=False)
def isolate(session: nox.Session) -> None:
    """Which of this tree's packages break a milestone or a package's tests (vs the wheelhouse)."""
    sessions.isolate(session, TREE)


@nox.session(python=False)
def grade(session: nox.Session) -> None:
    """Grade student trees: package tests on reference deps, milestones on their own chain."""
    sessions.grade(session, TREE)


@nox.session(python=False)
def grading_repo(session: nox.Session) -> None:
    """Write the private grading repository's workflow and roster into DIR (a private copy of
    this reference): ``-- DIR --roster roster.csv`` (student,repository[,ref])."""
    sessions.grading_repo(session, TREE)


@nox.session(python=False)
def merge_grades(session: nox.Session) -> None:
    """Merge many grade reports into one class report: ``-- REPORT_OR_DIR... [--out DIR]``
    (default results/class): grades.csv, grades.json and summary.csv."""
    sessions.merge_grades(session, TREE)


@nox.session(python=False, name="map")
def map_(session: nox.Session) -> None:
    """The packages (version, import name, what they need) and the milestones they unlock."""
    sessions.map_(session, TREE)


@nox.session(python=False)
def leaderboard(session: nox.Session) -> None:
    """Rank milestone 06 reports: nox -s leaderboard -- results/milestones/*/systems_report.json."""
    sessions.leaderboard(session, TREE)
