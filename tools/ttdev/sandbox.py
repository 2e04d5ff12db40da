"""Throwaway environments with a time limit: the engine behind ``isolate`` and ``grade``.

One *run* = a fresh virtual environment (``uv venv``, else ``python -m venv``)
holding a chosen wheel for every package a target needs, then the target
itself: a package's tests (pytest, read back from a JUnit XML file) or a
milestone's default scripts in ``--quick`` mode (``--grade`` for ``grade``; read back
from their results JSON). A run never raises for a failure of the code under test: it returns an
:class:`Outcome` saying pass, fail, timeout or error, with the failing test
names or the missed bars.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import integrity
from .install import SINGLE_THREAD
from .wheels import uv_command, venv_python, wheel_build_command

TEST_TOOLS = ("pytest", "hypothesis")
TESTS_PREFIX = re.compile(r"^packages\.[\w-]+\.tests\.")   # junit's classname of a test file
OUTPUT_TAIL = 15    # lines of output kept when something goes wrong
KILL_GRACE = 5      # seconds to collect a killed command's output before giving up on it
# The outer environment's choices must not leak into a run (TT_DATA_DIR does pass).
DROPPED_ENV = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PYTHON", "TT_REFERENCE",
               "TT_REFERENCE_WHEELHOUSE", "TT_RESULTS_DIR", "TT_REUSE_MILESTONE_RESULTS",
               "TT_REQUIRE_TORCH"}


# Student code in a package-test run: bubblewrap where it works (no network, everything
# read-only but the run's scratch folder and a fresh /tmp), and prlimit's resource limits.
BWRAP_ARGS = ("--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
              "--unshare-all", "--die-with-parent")
LIMITS = ("--fsize=1073741824", "--nofile=4096", "--core=0")   # 1 GiB files, 4096 fds
_sandbox_state: dict[str, str | None] = {}


class RunTimeout(Exception):
    """A command did not finish within its time limit (it was killed); ``output`` is what
    it printed until then."""

    def __init__(self, message: str, output: str = ""):
        super().__init__(message)
        self.output = output


class SandboxError(RuntimeError):
    """The environment could not be made (a wheel does not build or does not install)."""


@dataclass(frozen=True)
class Outcome:
    """The result of one run."""

    status: str          # "pass", "fail", "not implemented", "timeout" or "error"
    details: tuple[str, ...] = ()        # failing tests, missed bars, or what went wrong
    passed: int = 0                      # tests (or scripts) that passed
    failed: int = 0                      # tests (or scripts) that failed, stubs apart
    seconds: float = 0.0
    not_implemented: int = 0             # tests (or scripts) stopped by a starter's stub

    @property
    def ok(self) -> bool:
        return self.status == "pass"

    def summary(self, limit: int = 6) -> str:
        """One line: status, counts and the first details."""
        stubs = f", {self.not_implemented} not implemented" if self.not_implemented else ""
        counts = f" ({self.passed} passed, {self.failed} failed{stubs})" \
            if self.passed or self.failed or self.not_implemented else ""
        shown = "; ".join(self.details[:limit])
        more = f"; ... {len(self.details) - limit} more" if len(self.details) > limit else ""
        return f"{self.status.upper()}{counts}" + (f": {shown}{more}" if shown else "")


@dataclass(frozen=True)
class Target:
    """What a run checks: a package's tests or a milestone's default scripts."""

    kind: str                            # "package" or "milestone"
    name: str                            # "tt-nn" or "milestone_02"
    roots: tuple[str, ...]               # packages whose closure must be installed
    tests: Path | None = None            # the tests folder (kind "package")
    milestone: object | None = None      # the MilestoneSpec (kind "milestone")
    requirements: tuple[str, ...] = ()
    no_deps: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)
    script_args: tuple[str, ...] = ("--quick",)   # a milestone's mode: --quick, or --grade


def run_command(command: Sequence[str], timeout: float, cwd: Path | None = None,
                env: Mapping[str, str] | None = None) -> tuple[int, str]:
    """(exit code, output) of ``command``; RunTimeout (after killing it) past ``timeout``."""
    process = subprocess.Popen([str(c) for c in command], cwd=cwd, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=max(timeout, 1))
    except subprocess.TimeoutExpired as expired:
        os.killpg(process.pid, signal.SIGKILL)
        partial = expired.output or ""
        try:
            partial = process.communicate(timeout=KILL_GRACE)[0] or partial
        except subprocess.TimeoutExpired:  # a process that left the group holds the pipe open
            process.stdout.close()
            process.wait()
        if isinstance(partial, bytes):
            partial = partial.decode(errors="replace")
        raise RunTimeout(f"{Path(str(command[0])).name} ... did not finish within "
                         f"{timeout:.0f}s and was stopped", partial) from None
    return process.returncode, output


def probe_sandbox(bwrap: str | None) -> str | None:
    """Why bubblewrap cannot confine a run on this machine, or None when it can."""
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        done = subprocess.run([bwrap, *BWRAP_ARGS, "true"], capture_output=True, text=True,
                              timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{bwrap} does not run: {error}"
    if done.returncode != 0:
        return f"{bwrap} cannot create its namespaces here: {tail(done.stderr, 2)}"
    return None


def sandbox_status() -> str:
    """``bubblewrap`` when runs are confined, else ``unavailable: <why>`` (probed once)."""
    if "reason" not in _sandbox_state:
        _sandbox_state["bwrap"] = shutil.which("bwrap")
        _sandbox_state["reason"] = probe_sandbox(_sandbox_state["bwrap"])
    reason = _sandbox_state["reason"]
    return "bubblewrap" if reason is None else f"unavailable: {reason}"


def sandboxed(command: Sequence, scratch: Path, read_only: Sequence[Path] = ()) -> list:
    """``command`` under prlimit's limits and, where it works, bubblewrap with only
    ``scratch`` writable (the run's own folder, which holds its environment) but the
    ``read_only`` folders inside it."""
    limits = ["prlimit", *LIMITS, "--"] if shutil.which("prlimit") else []
    if sandbox_status() != "bubblewrap":
        return [*limits, *command]
    kept = [arg for folder in [*shared_folders(), *read_only]
            for arg in ("--ro-bind", folder, folder)]
    return [*limits, _sandbox_state["bwrap"], *BWRAP_ARGS, "--bind", scratch, scratch, *kept,
            "--chdir", scratch, *command]


def tail(output: str, lines: int = OUTPUT_TAIL) -> str:
    """The last lines of a command's output."""
    return "\n".join(output.strip().splitlines()[-lines:])


def build_wheel(package_dir: Path, out: Path, timeout: float,
                find_links: Sequence[Path] = ()) -> Path:
    """Build ``package_dir`` into a wheel in ``out``; SandboxError with the output on failure.

    The backend runs from the shared build environment (``wheels.build_env_python``, made
    once from pip's sources and ``find_links``), so no build needs the network; where that
    environment cannot be made, an isolated ``uv build`` or ``pip wheel`` fetches it.
    """
    out.mkdir(parents=True, exist_ok=True)
    command, _ = wheel_build_command(package_dir, out, find_links)
    code, output = run_command(command, timeout, env=_clean_env())
    wheels = sorted(out.glob("*.whl"))
    if code != 0 or not wheels:
        raise SandboxError(f"{package_dir} does not build a wheel:\n{tail(output)}")
    return wheels[-1]


def make_venv(folder: Path, wheels: Sequence[Path], requirements: Sequence[str],
              no_deps: Sequence[str], timeout: float) -> Path:
    """A virtual environment at ``folder`` with ``wheels`` and ``requirements``; its python.

    Its modules are compiled to bytecode as they are installed (pip does so; uv is asked
    to): the shared tools environments are read-only in the sandbox and runs do not write
    bytecode, so without it every run would compile NumPy's, pytest's, hypothesis' or
    scikit-learn's Python modules again (seconds per run)."""
    deadline = time.monotonic() + timeout
    uv = uv_command()
    python = venv_python(folder)
    if uv:
        install = [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", python]
        steps = [[uv, "venv", "--quiet", "--python", sys.executable, folder],
                 [*install, *wheels, *requirements]]
        if no_deps:
            steps.append([*install, "--no-deps", *no_deps])
    else:
        pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        steps = [[sys.executable, "-m", "venv", folder], [*pip, *wheels, *requirements]]
        if no_deps:
            steps.append([*pip, "--no-deps", *no_deps])
    for step in steps:
        code, output = run_command(step, deadline - time.monotonic(), env=_clean_env())
        if code != 0:
            raise SandboxError(f"installing failed ({' '.join(map(str, step[:3]))} ...):\n"
                               f"{tail(output)}")
    return python


# The tools of a run (pytest, hypothesis, NumPy, a milestone's requirements, and the
# reference's own tools package, which its root conftest and the milestone scripts import)
# are installed once per grading process into a shared environment, read-only inside the
# sandbox; each run's own environment holds only its tinytorch wheels and sees the tools
# through a .pth file. That saves one full install per run (most of a package run's time
# without uv).
TOOLS_PACKAGE = Path(__file__).resolve().parents[1]   # tools/: the reference's ttdev
_shared_envs: dict[tuple, Path] = {}
_shared_lock = threading.Lock()
_shared_root: list[Path] = []


def _purelib(python: Path, timeout: float) -> Path:
    code, output = run_command([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], timeout, env=_clean_env())
    if code != 0:
        raise SandboxError(f"{python} does not run:\n{tail(output)}")
    return Path(output.strip().splitlines()[-1])


def shared_tools(requirements: Sequence[str], no_deps: Sequence[str], timeout: float) -> Path:
    """The site-packages of the shared environment holding ``requirements`` (made on first
    use in this process, removed when it exits)."""
    key = (tuple(sorted(requirements)), tuple(sorted(no_deps)))
    with _shared_lock:
        if key not in _shared_envs:
            if not _shared_root:
                _shared_root.append(Path(tempfile.mkdtemp(prefix="tinytorch-tools-")))
                atexit.register(shutil.rmtree, _shared_root[0], ignore_errors=True)
            folder = _shared_root[0] / f"env-{len(_shared_envs)}"
            tools = _tools_wheel(_shared_root[0] / "tools-wheel", timeout)
            python = make_venv(folder, [tools], requirements, no_deps, timeout)
            _shared_envs[key] = _purelib(python, timeout)
        return _shared_envs[key]


def _tools_wheel(out: Path, timeout: float) -> Path:
    """The reference's tools package as a wheel in ``out`` (built once per process): a copy
    installed in the shared environment, so no run sees or changes the reference tree."""
    built = sorted(out.glob("*.whl"))
    return built[-1] if built else build_wheel(TOOLS_PACKAGE, out, timeout)


def shared_folders() -> list[Path]:
    """The shared environments' folder (bound read-only into every sandbox), if made."""
    return list(_shared_root)


def make_run_venv(folder: Path, wheels: Sequence[Path], tools: Path, timeout: float) -> Path:
    """A small environment at ``folder``: ``wheels`` only (no dependencies), and the shared
    ``tools`` site-packages on its path; its python."""
    deadline = time.monotonic() + timeout
    python = venv_python(folder)
    uv = uv_command()
    create = [uv, "venv", "--quiet", "--python", sys.executable, folder] if uv else \
        [sys.executable, "-m", "venv", "--without-pip", folder]
    install = [uv, "pip", "install", "--quiet", "--no-deps", "--python", python, *wheels] \
        if uv else [sys.executable, "-m", "pip", "--python", python, "install", "--quiet",
                    "--no-deps", "--disable-pip-version-check", *wheels]
    code, output = run_command(create, deadline - time.monotonic(), env=_clean_env())
    if code != 0:
        raise SandboxError(f"making the run's environment failed:\n{tail(output)}")
    (_purelib(python, deadline - time.monotonic()) / "_tinytorch_tools.pth").write_text(
        f"{tools}\n")
    if wheels:
        code, output = run_command(install, deadline - time.monotonic(), env=_clean_env())
        if code != 0:
            raise SandboxError(f"installing failed ({' '.join(map(str, install[:3]))} ...):\n"
                               f"{tail(output)}")
    return python


def _clean_env(python: Path | None = None) -> dict[str, str]:
    """The environment for a run: no outer virtualenv or PYTHONPATH, one BLAS thread."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update({k: v for k, v in SINGLE_THREAD.items() if k not in env})
    if python is not None:
        bin_dir = str(python.parent)
        env["VIRTUAL_ENV"] = str(python.parent.parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    return env


def run_target(target: Target, wheels: Sequence[Path], workdir: Path, timeout: float) -> Outcome:
    """Make a fresh environment in ``workdir`` with ``wheels`` and run ``target`` in it.

    The shared tools environment, made once per process by the first run that needs it,
    is not part of that run's time or time limit (a limit it misses is an error, never a
    timeout blamed on the student's code)."""
    started = time.monotonic()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    extras = (*TEST_TOOLS, *target.requirements) if target.kind == "package" \
        else target.requirements
    try:
        try:
            tools = shared_tools(("numpy", *extras), target.no_deps, timeout)
        except RunTimeout as error:
            raise SandboxError(f"the shared tools environment was not made in time: {error}") \
                from None
        started = time.monotonic()
        deadline = started + timeout
        python = make_run_venv(workdir / "venv", wheels, tools, deadline - time.monotonic())
        runner = _run_tests if target.kind == "package" else _run_milestone
        outcome = runner(target, python, workdir, deadline)
    except RunTimeout as error:
        outcome = Outcome("timeout", (f"{error} ({timeout:.0f}s per run)",))
    except SandboxError as error:
        outcome = Outcome("error", (str(error),))
    finally:
        shutil.rmtree(workdir / "venv", ignore_errors=True)
    return replace(outcome, seconds=round(time.monotonic() - started, 1))


def _run_tests(target: Target, python: Path, workdir: Path, deadline: float) -> Outcome:
    """pytest on a read-only copy of the target's tests folder, plugin autoloading off,
    sandboxed (``sandboxed``) where the machine allows it.

    The copy holds the reference tree's root conftest and pytest configuration
    (``integrity.reference_test_copy``); a run that changes it is an error.
    """
    report = workdir / "junit.xml"
    copy = workdir / "reference"
    tests = integrity.reference_test_copy(target.tests, copy)
    before = integrity.fingerprint(copy)
    env = {k: v for k, v in _clean_env(python).items() if k not in integrity.PYTEST_DROPPED_ENV}
    plugins = [arg for name in integrity.REFERENCE_PLUGINS for arg in ("-p", name)]
    config = ["-c", copy / "pyproject.toml"] if (copy / "pyproject.toml").is_file() else []
    try:
        code, output = run_command(sandboxed(
            [python, "-m", "pytest", "-v", "-p", "no:cacheprovider", *plugins,
             f"--rootdir={copy}", *config, f"--junitxml={report}", tests], workdir, [copy]),
            deadline - time.monotonic(), cwd=workdir,
            env={**env, **integrity.PYTEST_ENV, "PYTHONUNBUFFERED": "1",
                 "MPLCONFIGDIR": str(workdir / "matplotlib")})
    except RunTimeout as error:
        hung = running_test(error.output)   # as pytest names it from workdir: strip the copy
        hung = hung.removeprefix(f"{copy.name}/") if hung else hung
        raise RunTimeout(f"test {hung} did not finish within the time limit (it was running "
                         f"when {target.name}'s tests were stopped)" if hung else
                         f"{target.name}'s tests did not finish within the time limit",
                         error.output) from None
    finally:
        integrity.set_read_only(copy, False)
    changed = integrity.changed_files(before, integrity.fingerprint(copy))
    if changed:
        return Outcome("error", (f"the run changed the reference tests, so its result is not "
                                 f"trusted: {', '.join(changed[:5])}",))
    if code == 5:
        return Outcome("fail", (f"{target.tests} has no tests",))
    syntax = syntax_errors(output)
    if not report.is_file():
        return Outcome("error", (*syntax, f"pytest exited {code} without a report:\n"
                                          f"{tail(output)}"))
    junit = read_junit(report)
    syntax += [e for text in junit.texts for e in syntax_errors(text) if e not in syntax]
    failures = junit.failed
    if code != 0 and not failures and not junit.not_implemented:
        failures = [f"pytest exited {code}:\n{tail(output)}"]
    if code == 0:
        status = "pass"
    elif failures:
        status = "fail"
    else:
        status = NOT_IMPLEMENTED
    stubs = [f"not implemented: {', '.join(junit.stubs)}"] if junit.stubs else []
    return Outcome(status, (*syntax, *failures, *stubs), junit.passed,
                   len(failures) if code else 0, not_implemented=len(junit.not_implemented))


NOT_IMPLEMENTED = "not implemented"
RUNNING_TEST = re.compile(r"^(\S+\.py::\S+)(?: \S+)?\s*$")   # pytest -v: "file.py::test "


def running_test(output: str) -> str | None:
    """The test ``pytest -v`` was running when its output stopped: a last line that names
    a test without its result yet (``packages/tt-nn/tests/test_x.py::test_y``)."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    if not lines:
        return None
    found = RUNNING_TEST.match(lines[-1].strip())
    if not found or found.group(0).rstrip().endswith(("PASSED", "FAILED", "ERROR", "SKIPPED")):
        return None
    return found.group(1)


STUB_RAISED = re.compile(r"NotImplementedError: tinytorch starter: (tt-[\w-]+ [\w.]+) is not")
STUB_FAILURE = re.compile(r"^not implemented yet: (tt-[\w-]+ [\w.]+) \(tinytorch starter stub")
SYNTAX_FILE = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')
SYNTAX_ERROR = re.compile(r"\b(?P<kind>SyntaxError|IndentationError|TabError): (?P<message>.*)")


@dataclass(frozen=True)
class Junit:
    """What a JUnit XML report says."""

    passed: int
    failed: list[str]             # tests failing or erroring for a real reason
    not_implemented: list[str]    # tests stopped by a starter's stub
    stubs: list[str]              # the stubbed functions they reached, once each
    texts: list[str]              # the failure and error texts (for syntax errors)
    skipped: tuple[str, ...] = ()  # each skipped test's (or test file's) reason


def read_junit(report: Path) -> Junit:
    """Passed tests, failed ones and those stopped by a stub (the reference conftest's
    "not implemented yet: ..." message), by ``file::test`` name, from a JUnit XML file.
    A test stopped by a stub counts as not implemented even when its teardown fails."""
    passed, failed, stubbed, stubs, texts, skipped = 0, [], [], [], [], []
    for case in ET.parse(report).getroot().iter("testcase"):
        problems = [child for child in case if child.tag in ("failure", "error")]
        module = TESTS_PREFIX.sub("", case.get("classname", ""))
        name = f"{module}::{case.get('name', '')}".strip(":")
        if problems:
            stub = next(filter(None, (STUB_FAILURE.match(text or "") for text in
                                      (problems[0].get("message"), problems[0].text))), None)
            if stub:
                stubbed.append(name)
                stubs += [stub.group(1)] if stub.group(1) not in stubs else []
            else:
                failed.append(name)
                texts += [problem.text or "" for problem in problems]
        else:
            skips = [child for child in case if child.tag == "skipped"]
            skipped += [f"{skips[0].get('message') or ''} {skips[0].text or ''}".strip()] \
                if skips else []
            passed += not skips
    # a test stopped by a stub whose teardown then fails has a second testcase element
    return Junit(passed, [n for n in dict.fromkeys(failed) if n not in stubbed], stubbed,
                 stubs, texts, tuple(skipped))


def syntax_errors(output: str) -> list[str]:
    """``SyntaxError in tinytorch/nn/layers.py line 12: invalid syntax`` for each syntax
    error a traceback in ``output`` reports (the file as installed: ``src/`` in the tree)."""
    found, where = [], None
    for line in output.splitlines():
        place = SYNTAX_FILE.search(line)
        if place:
            where = place
        error = SYNTAX_ERROR.search(line)
        if error and where is not None:
            file = where["file"].split("site-packages/")[-1]
            text = (f"{error['kind']} in {file} line {where['line']}: "
                    f"{error['message'].strip()}")
            if text not in found:
                found.append(text)
            where = None
    return found


def _run_milestone(target: Target, python: Path, workdir: Path, deadline: float) -> Outcome:
    """Every default script of the milestone in the target's mode (``script_args``: ``--quick``,
    or ``--grade`` for ``grade``), from a read-only copy of the reference's ``milestones/``
    (sandboxed where the machine allows it); bars read from its results. A run that changes
    the copy is an error."""
    milestone = target.milestone
    results, copy = workdir / "results", workdir / "reference"
    folder = integrity.reference_milestones_copy(milestone.folder, copy)
    before = integrity.fingerprint(copy)
    env = {**_clean_env(python), "MPLCONFIGDIR": str(workdir / "matplotlib"),
           "PYTHONUNBUFFERED": "1"}
    missed, passed, stubbed = [], 0, 0
    try:
        for script in milestone.default_scripts():
            command = [python, folder / script.file, *script.args, *target.script_args,
                       "--results-dir", results]
            try:
                code, output = run_command(sandboxed(command, workdir, [copy]),
                                           deadline - time.monotonic(), cwd=copy, env=env)
            except RunTimeout as error:
                last = tail(error.output, 1) or "no output"
                raise RunTimeout(f"script {milestone.name}/{script.file} did not finish within "
                                 f"the time limit (last output: {last[:200]})",
                                 error.output) from None
            problems = script_problems(results / milestone.name / f"{script.stem}.json", code,
                                       output)
            stub = STUB_RAISED.search(output) if problems else None
            if stub:
                stubbed += 1
                problems = [f"not implemented: {stub.group(1)}"]
            missed += [f"{script.file}: {p}" for p in [*syntax_errors(output), *problems]]
            passed += not problems
    finally:
        integrity.set_read_only(copy, False)
    changed = integrity.changed_files(before, integrity.fingerprint(copy))
    if changed:
        return Outcome("error", (f"the run changed the reference milestones, so its result is "
                                 f"not trusted: {', '.join(changed[:5])}",))
    failed = len(milestone.default_scripts()) - passed - stubbed
    status = "fail" if failed else NOT_IMPLEMENTED if stubbed else "pass"
    return Outcome(status, tuple(missed), passed, failed, not_implemented=stubbed)


def script_problems(results_file: Path, exit_code: int, output: str) -> list[str]:
    """What went wrong in one script run: missed bars, or a crash with its last line."""
    if not results_file.is_file():
        last = output.strip().splitlines()[-1] if output.strip() else "no output"
        return [f"crashed (exit {exit_code}): {last}"]
    try:
        report = json.loads(results_file.read_text())
    except ValueError as error:
        return [f"wrote an unreadable {results_file.name} (exit {exit_code}): {error}"]
    problems = [f"{bar['metric']} = {bar['value']} (bar {bar['bar']})"
                for bar in report.get("bars", []) if not bar.get("passed")]
    if exit_code != 0 and not problems:
        problems.append(f"exited {exit_code}")
    return problems
