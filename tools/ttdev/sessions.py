"""What each nox session does: noxfile.py names the sessions and calls these.

Each function takes the nox session and the tree (``graph.read_tree``: the packages
and milestones read from ``packages/*/pyproject.toml`` and ``milestones/NN_*/``).
A session's arguments after ``--`` are read with argparse (``options.py``); a
mistake in them ends the session with ``session.error`` naming the flag.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nox

from . import checks, classroom, install, map_report, runs, summary, wheels
from . import docs as docs_site
from . import grade as grading
from . import isolate as isolating
from . import progress as progress_report
from . import targets as target_tools
from .graph import Tree, closure
from .options import Options, OptionsError, SessionParser, parse_options, take_options
from .sandbox import TEST_TOOLS
from .starter import StarterError, is_starter, leaked_lines, reference_only_lines, write_starter
from .starter import format_report as starter_report
from .tasks import TaskListError, pick_task
from .verbosity import verbose

REUSE_ENV = "TT_REUSE_MILESTONE_RESULTS"   # ttdev/milestone/testing.py reads it
TOOLS_TEST_DEPS = ["pytest", "packaging", "numpy", "pyyaml", "nox", "matplotlib", "pytest-timeout",
                   "check-jsonschema"]   # check-jsonschema: the workflows against their schema
GUIDE_TOOLS = "jinja2>=3.1"   # guide_tasks renders the guides' task tables with the docs' templates
TIMEOUT_PLUGIN = "pytest-timeout"   # a time limit per test: a function that loops costs one
ARGS_FILE_PYTEST = "pytest>=8.2"   # reads its arguments from a file given as @path
CLASS_TIMEOUT = 900.0   # seconds per run for isolate and grade


def options_for(session, tree: Tree, targets=()) -> Options:
    """The session's --reference options and the arguments left for pytest or the scripts.

    ``targets`` are the session's own packages, which ``--reference all-deps`` keeps local.
    """
    try:
        return parse_options(session.posargs, list(tree.packages), tree.root, targets=targets)
    except OptionsError as error:
        session.error(str(error))


def named_packages(tree: Tree, args) -> list[str]:
    """The package names among ``args``, else every package."""
    return [arg for arg in args if arg in tree.packages] or list(tree.packages)


def user_path(session, text: str) -> Path:
    """A path given on the command line, relative to where nox was started."""
    return (Path(session.invoked_from) / text).resolve()


# -- packages -----------------------------------------------------------------


def test(session, tree: Tree, package: str) -> None:
    options = options_for(session, tree, targets=[package])
    install.install_closure(session, package, tree.packages, options, extras=TEST_TOOLS)
    oracle = install.install_oracle_torch(session)   # PyTorch as the oracle, where it installs
    runs.run_pytest(session, tree.packages[package].path / "tests", options.passthrough,
                    env=oracle)
    unlocked = [m for m in tree.milestones if m.unlocked_by == package and tree.runnable(m)]
    if unlocked:
        run_unlocked_milestones(session, tree, package, unlocked, options, oracle)


def run_unlocked_milestones(session, tree: Tree, package: str, unlocked, options: Options,
                            oracle: dict) -> None:
    """Add the milestones' extra packages and requirements, run their default scripts with
    --quick, then their own tests, which reuse the reports the scripts just wrote."""
    roots = [package, *(name for m in unlocked for name in m.also_requires)]
    requirements, no_deps = runs.milestone_requirements(unlocked)
    install.install_closure(session, list(dict.fromkeys(roots)), tree.packages, options,
                            extras=requirements, no_deps_extras=no_deps)
    quick = [r for m in unlocked
             for r in runs.run_default_scripts(session, m, ["--quick"], tree.root)]
    failed = [r for r in quick if r.exit_code]
    if failed:
        session.error("milestone scripts failed in --quick mode: "
                      + ", ".join(f"{r.milestone}/{r.script}" for r in failed))
    reuse = {REUSE_ENV: str(runs.results_root(tree.root)), **oracle}
    for milestone in unlocked:
        if (milestone.folder / "tests").is_dir():
            runs.run_pytest(session, milestone.folder / "tests", env=reuse)


def task(session, tree: Tree) -> None:
    package_args = [a for a in session.posargs if a in tree.packages][:1]
    options = options_for(session, tree, targets=package_args)
    try:
        package, chosen, pytest_args = pick_task(list(options.passthrough),
                                                 {n: p.path for n, p in tree.packages.items()})
    except TaskListError as error:
        session.error(str(error))
    session.log(f"{package} {chosen.label()}: {len(chosen.tests)} test file(s) or test(s)")
    install.install_closure(session, package, tree.packages, options,
                            extras=(*TEST_TOOLS, ARGS_FILE_PYTEST, TIMEOUT_PLUGIN))
    oracle = install.install_oracle_torch(session)
    # The task's node ids go to pytest in a file (@file), not on the command line, so that a
    # failing task ends with one short line instead of every node id nox echoes back.
    tests = Path(session.create_tmp()) / f"{package}-{chosen.name}.tests"
    tests.write_text("".join(f"{tree.packages[package].path / t}\n" for t in chosen.tests))
    session.run("pytest", f"--timeout={progress_report.TEST_TIMEOUT}", f"@{tests}",
                *pytest_args, env=oracle)


# -- milestones ---------------------------------------------------------------


def milestone_session(tree: Tree, milestone):
    """The body of ``milestone_NN`` for one milestone (its docstring is the session's)."""

    def run_milestone(session) -> None:
        if not tree.runnable(milestone):
            session.skip(f"{milestone.name} waits for "
                         f"{', '.join(tree.missing(milestone))} (not in packages/ yet)")
        options = options_for(session, tree, targets=[milestone.unlocked_by])
        install.install_closure(session, list(milestone.package_roots), tree.packages, options,
                                extras=milestone.requirements,
                                no_deps_extras=milestone.requirements_no_deps)
        try:
            scripts, args = runs.select_scripts(milestone, options.passthrough)
        except ValueError as error:  # SpecError and OptionsError are ValueErrors too
            session.error(str(error))
        results = [runs.run_script(session, milestone, s, args, tree.root) for s in scripts]
        failed = [r.script for r in results if r.exit_code]
        if failed:
            session.error(f"{milestone.name}: {', '.join(failed)} exited non-zero")

    run_milestone.__doc__ = (
        f"{milestone.year}: {milestone.title} (unlocked by {milestone.unlocked_by})."
    )
    return run_milestone


def milestones(session, tree: Tree) -> None:
    options = options_for(session, tree)
    script_args = list(options.passthrough)
    parser = SessionParser()
    parser.add_argument("--details", action="store_true")
    details = parser.take(script_args).details
    ready = [m for m in tree.milestones if tree.runnable(m)]
    waiting = [m for m in tree.milestones if not tree.runnable(m)]
    for m in waiting:
        session.warn(f"skipping {m.name}: {', '.join(tree.missing(m))} "
                     f"not in packages/ yet")
    if not ready:
        session.skip("no milestone has its packages yet")
    requirements, no_deps = runs.milestone_requirements(ready)
    roots = list(dict.fromkeys(name for m in ready for name in m.package_roots))
    install.install_closure(session, roots, tree.packages, options,
                            extras=requirements, no_deps_extras=no_deps)
    results = [r for m in ready
               for r in runs.run_default_scripts(session, m, script_args, tree.root)]
    print(summary.format_summary(
        results, quick="--quick" in script_args, details=details,
        waiting=[f"{m.number:02d} {m.slug} ({m.year}): waiting for "
                 f"{', '.join(tree.missing(m))}" for m in waiting]))
    if not all(summary.script_passed(r) for r in results):
        session.error("some milestone scripts did not pass (see the table above)")


# -- quality ------------------------------------------------------------------


def tests(session, tree: Tree, registered) -> None:
    """Queue every test(package), tools and lint; e2e outside a starter; docs where it is."""
    targets = [f"test({name})" for name in tree.packages] + ["tools", "lint"]
    if not is_starter(tree.root):
        targets.append("e2e")
    if "docs" in registered:
        targets.append("docs")
    for target in targets:
        session.notify(target)


def lint(session, tree: Tree) -> None:
    packages = tree.packages.values()
    problems = checks.namespace_problems_in_tree(packages)
    problems += checks.docstring_markup_problems(packages)
    problems += checks.task_problems(packages, tree.milestones)
    for package in packages:
        try:
            problems += checks.namespace_problems_in_wheel(wheels.build_wheel(session, package))
        except nox.command.CommandFailed:
            problems.append(f"{package.path} does not build a wheel (error above)")
    problems += checks.graph_problems(tree.packages)
    problems += checks.milestone_problems(tree.milestones, tree.packages)
    session.install("ruff", GUIDE_TOOLS, *install.tools_package())
    try:
        session.run("ruff", "check", "--output-format=concise", str(tree.root))
    except nox.command.CommandFailed:
        problems.append("ruff check found problems (listed above)")
    try:   # the guides' task tables are rendered with the docs' templates (Jinja)
        session.run("python", "-m", "ttdev.guide_tasks", "--root", str(tree.root), "--check")
    except nox.command.CommandFailed:
        problems.append("a package guide's task table or task headings (listed above): "
                        "nox -s task_tables rewrites the tables")
    if problems:
        session.error("\n".join(["lint found problems:", *problems]))
    session.log(f"checked {len(tree.packages)} packages and {len(tree.milestones)} milestones")


def task_tables(session, tree: Tree) -> None:
    session.install(GUIDE_TOOLS, *install.tools_package())
    session.run("python", "-m", "ttdev.guide_tasks", "--root", str(tree.root))


def tools(session, tree: Tree) -> None:
    # the milestone runner writes its results with tt-tensor's atomic_write (NumPy only) and
    # checks and draws the graph with tt-autograd
    session.install(*TOOLS_TEST_DEPS, str(tree.root / "packages" / "tt-tensor"),
                    str(tree.root / "packages" / "tt-autograd"), *install.tools_package())
    session.run("pytest", "-m", "not e2e", "tools/ttdev/tests", "tools/ttdev/milestone/tests",
                *session.posargs)


def run_tool(session, tree: Tree, module: str, extras=TEST_TOOLS) -> None:
    """``python -m ttdev.<module> --root ROOT ARGS`` with the named packages' closure (every
    package when none is named) and the PyTorch oracle installed."""
    names = named_packages(tree, session.posargs)
    options = options_for(session, tree, targets=names)
    install.install_closure(session, names, tree.packages, options, extras=extras)
    oracle = install.install_oracle_torch(session)   # the PyTorch tests judge too
    session.run("python", "-m", f"ttdev.{module}", "--root", str(tree.root),
                *options.passthrough, env=oracle)


def mutants(session, tree: Tree) -> None:
    run_tool(session, tree, "mutants")


def task_order(session, tree: Tree) -> None:
    run_tool(session, tree, "task_order", extras=(*TEST_TOOLS, TIMEOUT_PLUGIN))


def e2e(session, tree: Tree) -> None:
    if is_starter(tree.root):
        session.skip("a starter has no reference solutions to break: e2e runs in the reference")
    # the docs tools: the students' site is built inside a starter and checked for answers
    docs_tools = [r for r in docs_site.REQUIREMENTS if r != "playwright"]
    # pip: the offline-build tests save the build backend's wheels with `pip download`
    # (as `nox -s build` does), and a uv-made session environment has no pip of its own
    session.install(*TOOLS_TEST_DEPS, "pip", "uv", "hypothesis", *docs_tools,
                    *install.tools_package())
    session.run("pytest", "-m", "e2e", "tools/ttdev/tests", *session.posargs)


def docs(session, tree: Tree) -> None:
    docs_site.build_and_check(session, tree.root)


def serve(session, tree: Tree) -> None:
    docs_site.build_and_serve(session, tree.root)


# -- distribution and measurement ----------------------------------------------


def build(session, tree: Tree) -> None:
    out = (tree.root / (session.posargs[0] if session.posargs else "dist")).resolve()
    out.mkdir(parents=True, exist_ok=True)
    requires = sorted({r for p in tree.packages.values()
                       for r in wheels.build_backend(p.path).requires})
    session.install("pip")
    try:
        session.run(*wheels.download_build_tools(requires, out / wheels.BUILD_TOOLS, "python"),
                    silent=not verbose(session))
    except nox.command.CommandFailed:
        session.warn(f"could not save {', '.join(requires)} into {wheels.BUILD_TOOLS}/ (no "
                     f"index?): a grader's first build will need an index or a pip cache")
    for package in tree.packages.values():
        backend = wheels.build_backend(package.path)
        try:
            python = wheels.build_env_python(backend.requires, [out / wheels.BUILD_TOOLS])
        except wheels.BuildEnvError as error:
            session.error(str(error))
        for hook in ("build_wheel", "build_sdist"):
            session.run(*wheels.backend_build_command(python, backend, package.path, out, hook),
                        external=True, silent=not verbose(session), log=verbose(session))
    built_from = "starter" if is_starter(tree.root) else "reference"
    manifest = wheels.write_manifest(out, built_from, wheels.tree_commit(tree.root),
                                     {name: str(p.version) for name, p in tree.packages.items()})
    session.log(f"wheelhouse: {out} (built from the {built_from}; {manifest.name} says so)")
    if built_from == "starter":
        session.warn("this is a starter: these wheels hold your own code, not the reference "
                     "(the reference wheelhouse comes from your instructor)")


def bench(session, tree: Tree) -> None:
    options = options_for(session, tree)
    install.install_closure(session, list(tree.packages), tree.packages, options)
    install.install_cpu_torch(session)
    session.install("threadpoolctl")  # the bench confirms the BLAS thread count it runs at
    session.run("python", "benchmarks/run.py", *options.passthrough,
                env={**install.SINGLE_THREAD, **install.BENCH_MALLOC})


# -- the class workflow ---------------------------------------------------------


def starter(session, tree: Tree) -> None:
    if len(session.posargs) != 1:
        session.error("usage: nox -s starter -- DIR   (a new folder outside this tree)")
    dest = user_path(session, session.posargs[0])
    try:
        stubbed = write_starter(tree.root, dest)
    except StarterError as error:
        session.error(str(error))
    leaks = leaked_lines(dest, reference_only_lines(tree.root))
    if leaks:
        session.error("solution lines remain in the starter (a marker is missing?):\n"
                      + "\n".join(leaks[:20]))
    session.log(starter_report(stubbed, dest))


def progress(session, tree: Tree) -> None:
    options = options_for(session, tree)
    try:
        limit = take_options(list(options.passthrough),
                             timeout=progress_report.TEST_TIMEOUT)["timeout"]
    except OptionsError as error:
        session.error(f"{error}\nusage: nox -s progress -- [--timeout SECONDS]")
    install.install_closure(session, list(tree.packages), tree.packages, options,
                            extras=(*TEST_TOOLS, TIMEOUT_PLUGIN))
    junit_dir = Path(session.create_tmp()).resolve() / "progress"
    junit_dir.mkdir(exist_ok=True)
    for name, package in tree.packages.items():
        (junit_dir / f"{name}.xml").unlink(missing_ok=True)
        if (package.path / "tests").is_dir():
            session.log(f"testing {name} ...")
            session.run("pytest", "-q", "-p", "no:cacheprovider", f"--timeout={limit}",
                        f"--junitxml={junit_dir}/{name}.xml", str(package.path / "tests"),
                        success_codes=range(6), silent=True, log=verbose(session))
    rows = progress_report.package_progress(tree.packages, junit_dir)
    print(progress_report.format_progress(rows, tree.milestones, tree.packages,
                                          runs.results_root(tree.root)))


def class_options(session, tree: Tree, usage: str, **defaults):
    """The reference options, the session's own ``--name VALUE`` options (name -> default:
    a number asks for a positive number, a string for any text) and the remaining
    arguments. Any other ``--flag`` is an error."""
    options = options_for(session, tree)
    args = list(options.passthrough)
    try:
        values = take_options(args, **defaults)
    except OptionsError as error:
        session.error(f"{error}\nusage: {usage}")
    unknown = [a for a in args if a.startswith("--")]
    if unknown:
        session.error(f"unknown option(s) {', '.join(unknown)}\nusage: {usage}")
    return options, values, args


ISOLATE_USAGE = ("nox -s isolate -- <milestone_NN | tt-package> [--timeout SECONDS] "
                 "[--reference-wheelhouse DIR]")


def isolate(session, tree: Tree) -> None:
    options, values, args = class_options(session, tree, ISOLATE_USAGE, timeout=CLASS_TIMEOUT)
    if len(args) != 1:
        session.error(f"usage: {ISOLATE_USAGE}")
    try:
        target = target_tools.resolve_target(args[0], tree.packages, tree.milestones)
        names = target_tools.target_packages(target, tree.packages)
        reference = target_tools.reference_wheels(names, tree.packages, options.wheelhouse)
    except (target_tools.TargetError, install.SourceError) as error:
        session.error(str(error))
    session.log(f"isolating {target.name}: student = this tree, reference = {options.wheelhouse}")
    with tempfile.TemporaryDirectory(prefix="tinytorch-isolate-") as tmp:
        student = target_tools.student_wheels(
            tree.packages, names, Path(tmp) / "wheels", values["timeout"],
            find_links=[options.wheelhouse / wheels.BUILD_TOOLS])
        runner = isolating.Runner(target, names, student, reference, Path(tmp),
                                  values["timeout"], log=session.log)
        result = isolating.isolate(runner)
    print(isolating.format_isolation(result))
    if not result.clean:
        session.error(result.verdict)


GRADE_USAGE = ("nox -s grade -- STUDENT_DIR... [--workers N] [--timeout SECONDS] "
               "[--packages a,b|none] [--milestones 01,02|none] "
               "[--reference-wheelhouse DIR] [--out DIR (default results/grade)]")


def grade(session, tree: Tree) -> None:
    options, values, args = class_options(
        session, tree, GRADE_USAGE, timeout=CLASS_TIMEOUT, workers=2, packages="",
        milestones="", out=str(tree.root / "results" / "grade"))
    if not args:
        session.error(f"usage: {GRADE_USAGE}")
    folders = [user_path(session, a) for a in args]
    absent = [str(f) for f in folders if not f.is_dir()]
    if absent:
        session.error(f"no such folder: {', '.join(absent)} (each STUDENT_DIR is a student's "
                      f"checkout, relative to where nox was started)\nusage: {GRADE_USAGE}")
    ready = [f"{m.number:02d}" for m in tree.milestones if tree.runnable(m)]
    try:
        package_names = pick(values["packages"], list(tree.packages), "package")
        wanted = pick(values["milestones"], ready, "milestone")
        needed = closure(tree.packages, package_names) if package_names else []
        reference = target_tools.reference_wheels(needed, tree.packages, options.wheelhouse)
    except (OptionsError, install.SourceError) as error:
        session.error(str(error))
    chosen = [m for m in tree.milestones if f"{m.number:02d}" in wanted]
    rows = grading.grade(folders, tree.packages, chosen, reference, values["workers"],
                         values["timeout"], log=session.log, package_names=package_names)
    paths = grading.write_reports(rows, user_path(session, values["out"]), {
        "reference_wheelhouse": str(options.wheelhouse), "timeout": values["timeout"],
        "workers": values["workers"]}, reference)
    print(grading.format_grades(rows))
    session.log(f"reports: {paths[0]} and {paths[1]}")


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
        raise OptionsError(f"--{what}s names unknown {what}(s) {unknown}; expected some of "
                           f"{', '.join(known)} (comma-separated), or 'none'")
    return wanted


def grading_repo(session, tree: Tree) -> None:
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


def merge_grades(session, tree: Tree) -> None:
    args = list(session.posargs)
    try:
        out = take_options(args, out=str(tree.root / "results" / "class"))["out"]
    except OptionsError as error:
        session.error(str(error))
    if not args:
        session.error("usage: nox -s merge_grades -- grades.json|grades.csv|DIR... [--out DIR]")
    session.run(sys.executable, "-m", "ttdev.merge_grades", "--out", str(user_path(session, out)),
                *(str(user_path(session, a)) for a in args))


def map_(session, tree: Tree) -> None:
    print(map_report.format_map(tree.packages, tree.milestones))


def leaderboard(session, tree: Tree) -> None:
    if not session.posargs:
        session.error("give one or more systems_report.json files after --")
    script = tree.root / "packages/tt-systems/src/tinytorch/systems/leaderboard.py"
    session.run(sys.executable, str(script), *session.posargs)
