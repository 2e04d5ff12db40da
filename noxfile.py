"""tinytorch's entry point: test a package alone, run the milestones, lint, build, bench.

Every package and milestone is discovered from the tree (``packages/*/pyproject.toml``,
``milestones/NN_*/milestone.toml``); the logic lives in ``tools/ttdev``.

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
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
INSTALL_HINT = ("run `python3 tools/run_nox.py ...` (nox in an environment of its own, with "
                "the tools) or `pip install -e tools` into the Python that runs nox")

try:
    import ttdev
    from ttdev import checks, classroom, install, map_report, runs, summary, wheels
    from ttdev import docs as docs_site
    from ttdev import grade as grading
    from ttdev import isolate as isolating
    from ttdev import progress as progress_report
    from ttdev import targets as target_tools
    from ttdev.graph import GraphError, closure, read_tree
    from ttdev.options import OptionsError, parse_options, take_options
    from ttdev.sandbox import TEST_TOOLS
    from ttdev.starter import (
        StarterError,
        is_starter,
        leaked_lines,
        reference_only_lines,
        write_starter,
    )
    from ttdev.starter import format_report as starter_report
    from ttdev.tasks import TaskListError, pick_task
    from ttdev.verbosity import verbose
    from ttdev.wheels import build_wheel
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

try:   # packages in teaching order: dependencies first, then what the earliest milestone needs
    TREE = read_tree(ROOT)
except GraphError as _error:   # a malformed pyproject: name the file, not a TOML traceback
    sys.exit(f"noxfile.py: the packages of this tree cannot be read:\n  {_error}")
PACKAGES, MILESTONES = TREE.packages, TREE.milestones
REUSE_ENV = "TT_REUSE_MILESTONE_RESULTS"   # ttdev/milestone/testing.py reads it
TOOLS_TEST_DEPS = ["pytest", "packaging", "numpy", "pyyaml", "nox", "matplotlib", "pytest-timeout",
                   "check-jsonschema"]   # check-jsonschema: the workflows against their schema
GUIDE_TOOLS = "jinja2>=3.1"   # guide_tasks renders the guides' task tables with the docs' templates
TIMEOUT_PLUGIN = "pytest-timeout"   # a time limit per test: a function that loops costs one


def options_for(session: nox.Session, targets=()):
    """The session's --reference options and the arguments left for pytest or the scripts.

    ``targets`` are the session's own packages, which ``--reference all-deps`` keeps local.
    """
    try:
        return parse_options(session.posargs, list(PACKAGES), ROOT, targets=targets)
    except OptionsError as error:
        session.error(str(error))


def missing_packages(milestone) -> list[str]:
    """The packages a milestone needs (``unlocked_by``, ``also_requires``) not in packages/ yet."""
    return TREE.missing(milestone)


def runnable(milestone) -> bool:
    """A milestone can run once the packages it needs exist."""
    return TREE.runnable(milestone)


# -- packages -----------------------------------------------------------------


@nox.session
@nox.parametrize("package", list(PACKAGES), ids=list(PACKAGES))
def test(session: nox.Session, package: str) -> None:
    """One package alone (only its closure, as wheels), then the milestones it unlocks."""
    options = options_for(session, targets=[package])
    install.install_closure(session, package, PACKAGES, options, extras=TEST_TOOLS)
    oracle = install.install_oracle_torch(session)   # PyTorch as the oracle, where it installs
    runs.run_pytest(session, PACKAGES[package].path / "tests", options.passthrough, env=oracle)
    unlocked = [m for m in MILESTONES if m.unlocked_by == package and runnable(m)]
    if unlocked:
        run_unlocked_milestones(session, package, unlocked, options, oracle)


def run_unlocked_milestones(session: nox.Session, package: str, unlocked, options,
                            oracle: dict) -> None:
    """Add the milestones' extra packages and requirements, run their default scripts with
    --quick, then their own tests, which reuse the reports the scripts just wrote."""
    roots = [package, *(name for m in unlocked for name in m.also_requires)]
    requirements, no_deps = runs.milestone_requirements(unlocked)
    install.install_closure(session, list(dict.fromkeys(roots)), PACKAGES, options,
                            extras=requirements, no_deps_extras=no_deps)
    quick = [r for m in unlocked for r in runs.run_default_scripts(session, m, ["--quick"], ROOT)]
    failed = [r for r in quick if r.exit_code]
    if failed:
        session.error("milestone scripts failed in --quick mode: "
                      + ", ".join(f"{r.milestone}/{r.script}" for r in failed))
    reuse = {REUSE_ENV: str(runs.results_root(ROOT)), **oracle}
    for milestone in unlocked:
        if (milestone.folder / "tests").is_dir():
            runs.run_pytest(session, milestone.folder / "tests", env=reuse)


@nox.session
def task(session: nox.Session) -> None:
    """One task's tests: ``nox -s task -- tt-nn linear`` (the package's closure, as wheels)."""
    package_args = [a for a in session.posargs if a in PACKAGES][:1]
    options = options_for(session, targets=package_args)
    try:
        package, chosen, pytest_args = pick_task(list(options.passthrough),
                                                 {n: p.path for n, p in PACKAGES.items()})
    except TaskListError as error:
        session.error(str(error))
    session.log(f"{package} {chosen.label()}: {len(chosen.tests)} test file(s) or test(s)")
    install.install_closure(session, package, PACKAGES, options,
                            extras=(*TEST_TOOLS, TIMEOUT_PLUGIN))
    oracle = install.install_oracle_torch(session)
    session.run("pytest", f"--timeout={progress_report.TEST_TIMEOUT}",
                *(str(PACKAGES[package].path / t) for t in chosen.tests), *pytest_args, env=oracle)


# -- milestones ---------------------------------------------------------------


def define_milestone_session(milestone) -> None:
    """Register ``milestone_NN`` for one milestone folder."""

    def run_milestone(session: nox.Session) -> None:
        if not runnable(milestone):
            session.skip(f"{milestone.name} waits for "
                         f"{', '.join(missing_packages(milestone))} (not in packages/ yet)")
        options = options_for(session, targets=[milestone.unlocked_by])
        install.install_closure(session, list(milestone.package_roots), PACKAGES, options,
                                extras=milestone.requirements,
                                no_deps_extras=milestone.requirements_no_deps)
        try:
            scripts, args = runs.select_scripts(milestone, options.passthrough)
        except ValueError as error:  # SpecError is a ValueError too
            session.error(str(error))
        results = [runs.run_script(session, milestone, s, args, ROOT) for s in scripts]
        failed = [r.script for r in results if r.exit_code]
        if failed:
            session.error(f"{milestone.name}: {', '.join(failed)} exited non-zero")

    run_milestone.__doc__ = (
        f"{milestone.year}: {milestone.title} (unlocked by {milestone.unlocked_by})."
    )
    nox.session(name=milestone.session)(run_milestone)


for _milestone in MILESTONES:
    define_milestone_session(_milestone)


@nox.session
def milestones(session: nox.Session) -> None:
    """Every milestone whose packages exist, in historical order, then a short summary.

    ``-- --details`` lists every bar in the summary, not only the failing ones.
    """
    options = options_for(session)
    script_args = [a for a in options.passthrough if a != "--details"]
    ready = [m for m in MILESTONES if runnable(m)]
    for m in MILESTONES:
        if not runnable(m):
            session.warn(f"skipping {m.name}: {', '.join(missing_packages(m))} "
                         f"not in packages/ yet")
    if not ready:
        session.skip("no milestone has its packages yet")
    requirements, no_deps = runs.milestone_requirements(ready)
    roots = list(dict.fromkeys(name for m in ready for name in m.package_roots))
    install.install_closure(session, roots, PACKAGES, options,
                            extras=requirements, no_deps_extras=no_deps)
    results = [
        r for m in ready for r in runs.run_default_scripts(session, m, script_args, ROOT)
    ]
    waiting = [f"{m.number:02d} {m.slug} ({m.year}): waiting for "
               f"{', '.join(missing_packages(m))}"
               for m in MILESTONES if not runnable(m)]
    print(summary.format_summary(results, quick="--quick" in script_args, waiting=waiting,
                                 details="--details" in options.passthrough))
    if not all(summary.script_passed(r) for r in results):
        session.error("some milestone scripts did not pass (see the table above)")


# -- quality ------------------------------------------------------------------


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Everything CI runs: every test(package), tools, e2e (not in a starter), lint, docs."""
    targets = [f"test({name})" for name in PACKAGES] + ["tools", "lint"]
    if not is_starter(ROOT):
        targets.append("e2e")
    if "docs" in nox.registry.get():
        targets.append("docs")
    for target in targets:
        session.notify(target)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, no tinytorch/__init__.py in any tree or wheel, tt-* ranges admit local versions,
    task lists match the solution regions and tests."""
    problems = checks.namespace_problems_in_tree(PACKAGES.values())
    problems += checks.docstring_markup_problems(PACKAGES.values())
    problems += checks.task_problems(PACKAGES.values(), MILESTONES)
    for package in PACKAGES.values():
        try:
            problems += checks.namespace_problems_in_wheel(build_wheel(session, package))
        except nox.command.CommandFailed:
            problems.append(f"{package.path} does not build a wheel (error above)")
    problems += checks.graph_problems(PACKAGES) + checks.milestone_problems(MILESTONES, PACKAGES)
    session.install("ruff", GUIDE_TOOLS, *install.tools_package())
    try:
        session.run("ruff", "check", "--output-format=concise", str(ROOT))
    except nox.command.CommandFailed:
        problems.append("ruff check found problems (listed above)")
    try:   # the guides' task tables are rendered with the docs' templates (Jinja)
        session.run("python", "-m", "ttdev.guide_tasks", "--root", str(ROOT), "--check")
    except nox.command.CommandFailed:
        problems.append("a package guide's task table or task headings (listed above): "
                        "nox -s task_tables rewrites the tables")
    if problems:
        session.error("\n".join(["lint found problems:", *problems]))
    session.log(f"checked {len(PACKAGES)} packages and {len(MILESTONES)} milestones")


@nox.session
def task_tables(session: nox.Session) -> None:
    """Rewrite the task table at the top of each package guide from its tasks.toml."""
    session.install(GUIDE_TOOLS, *install.tools_package())
    session.run("python", "-m", "ttdev.guide_tasks", "--root", str(ROOT))


@nox.session
def tools(session: nox.Session) -> None:
    """The tests of the tooling itself: tools/ttdev and the milestone runner (fast ones)."""
    # the milestone runner writes its results with tt-tensor's atomic_write (NumPy only) and
    # checks and draws the graph with tt-autograd
    session.install(*TOOLS_TEST_DEPS, str(ROOT / "packages" / "tt-tensor"),
                    str(ROOT / "packages" / "tt-autograd"), *install.tools_package())
    session.run("pytest", "-m", "not e2e", "tools/ttdev/tests", "tools/ttdev/milestone/tests",
                *session.posargs)


@nox.session
def mutants(session: nox.Session) -> None:
    """Plant mistakes in solution regions, one at a time; report which survive the package's
    tests (slow: not part of ``tests``). ``-- tt-optim --max-per-region 3 --seed 1``."""
    names = [arg for arg in session.posargs if arg in PACKAGES] or list(PACKAGES)
    options = options_for(session, targets=names)
    install.install_closure(session, names, PACKAGES, options, extras=TEST_TOOLS)
    oracle = install.install_oracle_torch(session)   # the PyTorch tests kill mutants too
    session.run("python", "-m", "ttdev.mutants", "--root", str(ROOT), *options.passthrough,
                env=oracle)


@nox.session
def task_order(session: nox.Session) -> None:
    """Each task's tests pass with it and the tasks before it written, the later ones still
    stubs (slow: not part of ``tests``). ``-- tt-nn``; ``-- tt-nn --placement [--write]``
    says where each test belongs (and rewrites the tasks.toml tests lists)."""
    names = [arg for arg in session.posargs if arg in PACKAGES] or list(PACKAGES)
    options = options_for(session, targets=names)
    install.install_closure(session, names, PACKAGES, options,
                            extras=(*TEST_TOOLS, TIMEOUT_PLUGIN))
    oracle = install.install_oracle_torch(session)
    session.run("python", "-m", "ttdev.task_order", "--root", str(ROOT), *options.passthrough,
                env=oracle)


@nox.session
def e2e(session: nox.Session) -> None:
    """End-to-end tests of the class workflow: starter, progress, isolate, grade, versions."""
    if is_starter(ROOT):
        session.skip("a starter has no reference solutions to break: e2e runs in the reference")
    # the docs tools: the students' site is built inside a starter and checked for answers
    docs_tools = [r for r in docs_site.REQUIREMENTS if r != "playwright"]
    session.install(*TOOLS_TEST_DEPS, "uv", "hypothesis", *docs_tools, *install.tools_package())
    session.run("pytest", "-m", "e2e", "tools/ttdev/tests", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site (mkdocs --strict) into site/ and test it in a browser."""
    docs_site.build_and_check(session, ROOT)


@nox.session
def serve(session: nox.Session) -> None:
    """Build the site into site/ and serve it on http://127.0.0.1:8000/ (`-- PORT` for another)."""
    docs_site.build_and_serve(session, ROOT)


# -- distribution and measurement ----------------------------------------------


@nox.session
def build(session: nox.Session) -> None:
    """Every package's wheel and sdist into one folder (default dist/), the build backend's
    own wheels into its build-tools/ (so grading builds with no index), a wheelhouse.json."""
    out = (ROOT / (session.posargs[0] if session.posargs else "dist")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    requires = sorted({r for p in PACKAGES.values() for r in wheels.build_backend(p.path).requires})
    session.install("pip")
    try:
        session.run(*wheels.download_build_tools(requires, out / wheels.BUILD_TOOLS, "python"),
                    silent=not verbose(session))
    except nox.command.CommandFailed:
        session.warn(f"could not save {', '.join(requires)} into {wheels.BUILD_TOOLS}/ (no "
                     f"index?): a grader's first build will need an index or a pip cache")
    for package in PACKAGES.values():
        backend = wheels.build_backend(package.path)
        try:
            python = wheels.build_env_python(backend.requires, [out / wheels.BUILD_TOOLS])
        except wheels.BuildEnvError as error:
            session.error(str(error))
        for hook in ("build_wheel", "build_sdist"):
            session.run(*wheels.backend_build_command(python, backend, package.path, out, hook),
                        external=True, silent=not verbose(session), log=verbose(session))
    built_from = "starter" if is_starter(ROOT) else "reference"
    manifest = wheels.write_manifest(out, built_from, wheels.tree_commit(ROOT),
                                     {name: str(p.version) for name, p in PACKAGES.items()})
    session.log(f"wheelhouse: {out} (built from the {built_from}; {manifest.name} says so)")
    if built_from == "starter":
        session.warn("this is a starter: these wheels hold your own code, not the reference "
                     "(the reference wheelhouse comes from your instructor)")


@nox.session
def bench(session: nox.Session) -> None:
    """Training-step benchmarks, tinytorch against PyTorch when torch==2.13.0 installs."""
    options = options_for(session)
    install.install_closure(session, list(PACKAGES), PACKAGES, options)
    install.install_cpu_torch(session)
    session.install("threadpoolctl")  # the bench confirms the BLAS thread count it runs at
    session.run("python", "benchmarks/run.py", *options.passthrough,
                env={**install.SINGLE_THREAD, **install.BENCH_MALLOC})


# -- the class workflow ---------------------------------------------------------


def user_path(session: nox.Session, text: str) -> Path:
    """A path given on the command line, relative to where nox was started."""
    return (Path(session.invoked_from) / text).resolve()


@nox.session(python=False)
def starter(session: nox.Session) -> None:
    """Write the students' starter into DIR: every solution region becomes a stub."""
    if len(session.posargs) != 1:
        session.error("usage: nox -s starter -- DIR   (a new folder outside this tree)")
    dest = user_path(session, session.posargs[0])
    try:
        stubbed = write_starter(ROOT, dest)
    except StarterError as error:
        session.error(str(error))
    leaks = leaked_lines(dest, reference_only_lines(ROOT))
    if leaks:
        session.error("solution lines remain in the starter (a marker is missing?):\n"
                      + "\n".join(leaks[:20]))
    session.log(starter_report(stubbed, dest))


@nox.session
def progress(session: nox.Session) -> None:
    """Where the tree stands: tasks and functions left, tests, milestones unlocked and passed.

    Each test has a time limit (``-- --timeout SECONDS``, default 60): the first test that
    hits it fails, is named, and stops that package's run (one timeout per hanging function)."""
    options = options_for(session)
    try:
        limit = take_options(list(options.passthrough),
                             timeout=progress_report.TEST_TIMEOUT)["timeout"]
    except OptionsError as error:
        session.error(f"{error}\nusage: nox -s progress -- [--timeout SECONDS]")
    install.install_closure(session, list(PACKAGES), PACKAGES, options,
                            extras=(*TEST_TOOLS, TIMEOUT_PLUGIN))
    junit_dir = Path(session.create_tmp()).resolve() / "progress"
    junit_dir.mkdir(exist_ok=True)
    for name, package in PACKAGES.items():
        (junit_dir / f"{name}.xml").unlink(missing_ok=True)
        if (package.path / "tests").is_dir():
            session.log(f"testing {name} ...")
            session.run("pytest", "-q", "-p", "no:cacheprovider", f"--timeout={limit}",
                        f"--junitxml={junit_dir}/{name}.xml", str(package.path / "tests"),
                        success_codes=range(6), silent=True, log=verbose(session))
    rows = progress_report.package_progress(PACKAGES, junit_dir)
    print(progress_report.format_progress(rows, MILESTONES, PACKAGES, runs.results_root(ROOT)))


def class_options(session: nox.Session, usage: str, texts=None, **numbers):
    """The reference options, the session's ``--timeout``-style ``numbers`` and ``--out``-style
    ``texts`` (name -> default); the remaining arguments. Any other ``--flag`` is an error."""
    options = options_for(session)
    args = list(options.passthrough)
    try:
        values = take_options(args, **numbers, **(texts or {}))
    except OptionsError as error:
        session.error(f"{error}\nusage: {usage}")
    unknown = [a for a in args if a.startswith("--")]
    if unknown:
        session.error(f"unknown option(s) {', '.join(unknown)}\nusage: {usage}")
    return options, values, args


@nox.session(python=False)
def isolate(session: nox.Session) -> None:
    """Which of this tree's packages break a milestone or a package's tests (vs the wheelhouse)."""
    usage = ("nox -s isolate -- <milestone_NN | tt-package> [--timeout SECONDS] "
             "[--reference-wheelhouse DIR]")
    options, values, args = class_options(session, usage, timeout=900.0)
    if len(args) != 1:
        session.error(f"usage: {usage}")
    try:
        target = target_tools.resolve_target(args[0], PACKAGES, MILESTONES)
        names = target_tools.target_packages(target, PACKAGES)
        reference = target_tools.reference_wheels(names, PACKAGES, options.wheelhouse)
    except (target_tools.TargetError, install.SourceError) as error:
        session.error(str(error))
    session.log(f"isolating {target.name}: student = this tree, reference = {options.wheelhouse}")
    with tempfile.TemporaryDirectory(prefix="tinytorch-isolate-") as tmp:
        student = target_tools.student_wheels(
            PACKAGES, names, Path(tmp) / "wheels", values["timeout"],
            find_links=[options.wheelhouse / wheels.BUILD_TOOLS])
        runner = isolating.Runner(target, names, student, reference, Path(tmp),
                                  values["timeout"], log=session.log)
        result = isolating.isolate(runner)
    print(isolating.format_isolation(result))
    if not result.clean:
        session.error(result.verdict)


@nox.session(python=False)
def grade(session: nox.Session) -> None:
    """Grade student trees: package tests on reference deps, milestones on their own chain."""
    usage = ("nox -s grade -- STUDENT_DIR... [--workers N] [--timeout SECONDS] "
             "[--packages a,b|none] [--milestones 01,02|none] "
             "[--reference-wheelhouse DIR] [--out DIR (default results/grade)]")
    texts = {"packages": "", "milestones": "", "out": str(ROOT / "results" / "grade")}
    options, values, args = class_options(session, usage, texts, timeout=900.0, workers=2)
    if not args:
        session.error(f"usage: {usage}")
    folders = [user_path(session, a) for a in args]
    absent = [str(f) for f in folders if not f.is_dir()]
    if absent:
        session.error(f"not folders: {', '.join(absent)}")
    try:
        package_names = pick(values["packages"], list(PACKAGES), "package")
        wanted = pick(values["milestones"], [f"{m.number:02d}" for m in MILESTONES if runnable(m)],
                      "milestone")
        needed = closure(PACKAGES, package_names) if package_names else []
        reference = target_tools.reference_wheels(needed, PACKAGES, options.wheelhouse)
    except (OptionsError, install.SourceError) as error:
        session.error(str(error))
    chosen = [m for m in MILESTONES if f"{m.number:02d}" in wanted]
    rows = grading.grade(folders, PACKAGES, chosen, reference, values["workers"],
                         values["timeout"], log=session.log, package_names=package_names)
    paths = grading.write_reports(rows, user_path(session, values["out"]), {
        "reference_wheelhouse": str(options.wheelhouse), "timeout": values["timeout"],
        "workers": values["workers"]}, reference)
    print(grading.format_grades(rows))
    session.log(f"reports: {paths[0]} and {paths[1]}")


@nox.session(python=False)
def grading_repo(session: nox.Session) -> None:
    """Write the private grading repository's workflow and roster into DIR (a private copy of
    this reference): ``-- DIR --roster roster.csv`` (student,repository[,ref])."""
    args = list(session.posargs)
    try:
        roster = take_options(args, roster="")["roster"]
    except OptionsError as error:
        session.error(str(error))
    if len(args) != 1 or not roster:
        session.error("usage: nox -s grading_repo -- DIR --roster roster.csv")
    try:
        written = classroom.write_grading_repo(user_path(session, args[0]),
                                               user_path(session, roster))
    except classroom.RosterError as error:
        session.error(str(error))
    session.log("wrote " + ", ".join(str(path) for path in written))


@nox.session(python=False)
def merge_grades(session: nox.Session) -> None:
    """Merge many grade reports into one class report: ``-- REPORT_OR_DIR... [--out DIR]``
    (default results/class): grades.csv, grades.json and summary.csv."""
    args = list(session.posargs)
    try:
        out = take_options(args, out=str(ROOT / "results" / "class"))["out"]
    except OptionsError as error:
        session.error(str(error))
    if not args:
        session.error("usage: nox -s merge_grades -- grades.json|grades.csv|DIR... [--out DIR]")
    session.run(sys.executable, "-m", "ttdev.merge_grades", "--out", str(user_path(session, out)),
                *(str(user_path(session, a)) for a in args))


def pick(text: str, known: list[str], what: str) -> list[str]:
    """``a,b`` -> those of ``known`` (numbers may drop leading zeros); '' -> all; 'none' -> []."""
    if not text:
        return known
    if text == "none":
        return []
    wanted = [w.strip() for w in text.split(",") if w.strip()]
    wanted = [f"{int(w):02d}" if w.isdigit() else w for w in wanted]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise OptionsError(f"unknown {what}(s) {unknown}; expected some of {', '.join(known)}")
    return wanted


@nox.session(python=False, name="map")
def map_(session: nox.Session) -> None:
    """The packages (version, import name, what they need) and the milestones they unlock."""
    print(map_report.format_map(PACKAGES, MILESTONES))


@nox.session(python=False)
def leaderboard(session: nox.Session) -> None:
    """Rank milestone 06 reports: nox -s leaderboard -- results/milestones/*/systems_report.json."""
    if not session.posargs:
        session.error("give one or more systems_report.json files after --")
    script = ROOT / "packages/tt-systems/src/tinytorch/systems/leaderboard.py"
    session.run(sys.executable, str(script), *session.posargs)
