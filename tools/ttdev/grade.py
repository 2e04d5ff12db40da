"""Grade a class: every student tree against the reference, with bounded workers.

For each student folder:

- each package's tests, the package from the student and its dependencies
  from the reference wheelhouse (so one broken package costs only its own
  tests); the tests are the reference's own, so editing them changes nothing;
- each milestone in ``--grade`` mode (the quick bars in a smaller budget, no figures) on
  the student's own chain (every package it needs from the student), with the
  reference's scripts and bars.

Student code cannot change what is reported (``integrity.py``): wheels are built
from the reference's build files, tests run from a read-only copy without
student plugins or conftests, links out of a tree are refused, copies of the
reference are flagged, and package tests run under bubblewrap where it works
(the report's ``sandbox`` says whether it did).

Every run has a time limit; a tree that does not build, hangs or crashes is
reported as such and the grading goes on. The report is one CSV and one JSON
file under ``results/grade/``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from . import integrity
from .files import replace_text
from .graph import GraphError, Package, closure, read_package, teaching_order
from .sandbox import Outcome, run_target, sandbox_status
from .stubs import stubs_in_package
from .targets import MISSING, UNBUILT, Unbuilt, milestone_target, package_target, student_wheels
from .wheels import BUILD_TOOLS, read_manifest, tree_commit, wheel_name_version

IDENTICAL = integrity.IDENTICAL
GRADE_ARGS = ("--grade",)   # milestones in the grader's budget: the quick bars, no figures

CSV_FIELDS = ["student", "commit", "kind", "target", "status", "score", "passed", "failed",
              "not_implemented", "seconds", "details"]


@dataclass(frozen=True)
class Row:
    """One line of the report."""

    student: str
    kind: str          # "package", "milestone" or "tree"
    target: str
    status: str        # "pass", "fail", "not implemented", "timeout", "error", "missing"
    passed: int
    failed: int        # tests (scripts) failing for a real reason
    seconds: float
    details: str
    not_implemented: int = 0   # tests (scripts) stopped by a stub the student has not written
    commit: str = ""           # the graded commit of the student's tree

    @property
    def score(self) -> float:
        """Percent of this run's tests (a milestone's scripts) that passed; 0 for a run that
        could not be made (error, timeout, missing); none for the tree row."""
        total = self.passed + self.failed + self.not_implemented
        if self.kind == "tree" or self.status in ("error", "timeout", "missing") or not total:
            return 100.0 if self.kind != "tree" and self.status == "pass" else 0.0
        return round(100 * self.passed / total, 1)

    def record(self) -> dict:
        """The row as the CSV and JSON reports write it (``score`` included)."""
        return {**asdict(self), "score": "" if self.kind == "tree" else self.score}


@dataclass(frozen=True)
class Job:
    """One run to make for one student."""

    student: str
    kind: str
    target: str
    wheels: tuple[Path, ...]
    problem: str = ""     # why it cannot run (a package missing or not building)
    own: tuple[str, ...] = ()   # the packages taken from the student
    problem_status: str = ""    # the row's status when it cannot run: "missing" or "error"


class GradeError(ValueError):
    """Grading cannot start: the reference does not hold what the graded runs need."""


def student_names(folders: Sequence[Path]) -> list[str]:
    """Short unique names: the folder name, or more of the path when two names clash."""
    names = [f.name for f in folders]
    return [str(f) if names.count(f.name) > 1 else f.name for f in folders]


def check_reference(reference: dict[str, Path], packages: dict[str, Package],
                    package_names: Sequence[str]) -> None:
    """GradeError naming the package and its dependencies that ``reference`` lacks: a
    package's tests take every dependency from the reference."""
    for name in package_names:
        absent = [n for n in closure(packages, name) if n != name and n not in reference]
        if absent:
            raise GradeError(f"the reference has no wheel of {', '.join(absent)}, which {name} "
                             f"depends on (its tests take their dependencies from the "
                             f"reference): add {'them' if len(absent) > 1 else 'it'} to the "
                             f"reference wheelhouse (nox -s build in the reference tree)")


def plan_jobs(student: str, wheels: dict[str, Path | Unbuilt], reference: dict[str, Path],
              packages: dict[str, Package], milestones,
              package_names: Sequence[str] | None = None) -> list[Job]:
    """The runs for one student, given the student's built wheels (or why they failed).
    GradeError when ``reference`` lacks a dependency of a graded package."""
    package_names = list(packages if package_names is None else package_names)
    check_reference(reference, packages, package_names)
    jobs = []
    for name in package_names:
        deps = [n for n in closure(packages, name) if n != name]
        jobs.append(_job(student, "package", name, [name], deps, wheels, reference))
    for milestone in milestones:
        names = closure(packages, list(milestone.package_roots))
        jobs.append(_job(student, "milestone", milestone.session, names, [], wheels, reference))
    return jobs


def _job(student, kind, target, own: list[str], deps: list[str], wheels, reference) -> Job:
    """A job taking ``own`` from the student and ``deps`` from the reference; one that
    cannot run (a student package missing or not built) is ``missing`` when a package is
    missing, else ``error``."""
    unbuilt = {n: wheels.get(n, Unbuilt(MISSING, "missing: not built"))
               for n in own if not isinstance(wheels.get(n), Path)}
    if unbuilt:
        status = MISSING if any(w.status == MISSING for w in unbuilt.values()) else UNBUILT
        return Job(student, kind, target, (), "; ".join(f"{n} {w}" for n, w in unbuilt.items()),
                   tuple(own), status)
    chosen = [wheels[n] for n in own] + [reference[n] for n in deps]
    return Job(student, kind, target, tuple(chosen), own=tuple(own))


def run_job(job: Job, targets: dict[str, object], workdir: Path, timeout: float) -> Row:
    """Run one job (never raises): its outcome as a report row."""
    if job.problem:
        return Row(job.student, job.kind, job.target, job.problem_status or UNBUILT, 0, 0,
                   0.0, job.problem)
    safe = f"{job.student}-{job.target}".replace("/", "_").replace("(", "").replace(")", "")
    try:
        outcome = run_target(targets[job.target], job.wheels, workdir / safe, timeout)
    except Exception as error:  # a crash of the tooling itself must not stop the class
        outcome = Outcome("error", (f"{type(error).__name__}: {error}",))
    return _row(job, outcome)


def _row(job: Job, outcome: Outcome) -> Row:
    return Row(job.student, job.kind, job.target, outcome.status, outcome.passed,
               outcome.failed, outcome.seconds, "; ".join(outcome.details)[:2000],
               outcome.not_implemented)


def read_student_packages(folder: Path, reference_packages: dict[str, Package],
                          ) -> tuple[dict[str, Package], dict[str, str]]:
    """The student's readable packages, and why each unreadable one (named as the reference
    package in the same folder, else by its folder) cannot be read, naming its file."""
    packages, unreadable = {}, {}
    by_folder = {p.path.name: name for name, p in reference_packages.items()}
    for pyproject in sorted((folder / "packages").glob("*/pyproject.toml")):
        try:
            package = read_package(pyproject.parent)
        except GraphError as error:
            unreadable[by_folder.get(pyproject.parent.name, pyproject.parent.name)] = \
                f"error: {error}"
            continue
        if package.name in packages:
            unreadable[package.name] = (f"error: two packages are named {package.name}: "
                                        f"{packages[package.name].path} and {package.path}")
            continue
        packages[package.name] = package
    return {n: packages[n] for n in teaching_order(packages)}, unreadable


def prepare_student(folder: Path, name: str, reference_packages: dict[str, Package],
                    workdir: Path, timeout: float, find_links: Sequence[Path] = (),
                    ) -> tuple[dict[str, Path | Unbuilt], list[Row], dict[str, int]]:
    """Build the student's wheels; the tree row; how many starter stubs each package still
    has. A package whose pyproject cannot be read is an error naming the file (the others
    are still built); a tree with none is a ``tree`` error row."""
    started = time.monotonic()
    try:
        packages, unreadable = read_student_packages(folder, reference_packages)
    except Exception as error:  # a dependency cycle, ...: must not stop the class
        kind = "" if isinstance(error, GraphError) else f"{type(error).__name__}: "
        return {}, [Row(name, "tree", str(folder), "error", 0, 0, 0.0,
                        f"the packages under {folder / 'packages'} cannot be read: "
                        f"{kind}{error}")], {}
    if not packages and not unreadable:
        return {}, [Row(name, "tree", str(folder), "error", 0, 0, 0.0,
                        f"no packages under {folder / 'packages'}")], {}
    wanted = [n for n in reference_packages if n not in unreadable]
    wheels = student_wheels(packages, wanted, workdir / name / "wheels", timeout,
                            reference=reference_packages, root=folder, find_links=find_links)
    wheels.update({n: Unbuilt(UNBUILT, reason) for n, reason in unreadable.items()})
    wheels = {n: wheels[n] for n in [*reference_packages, *unreadable] if n in wheels}
    unbuilt = [f"{n} {w}" for n, w in wheels.items() if not isinstance(w, Path)]
    copies = [n for n in packages if n in reference_packages and
              integrity.identical_to_reference(packages[n].path, reference_packages[n].path)]
    flagged = [f"{IDENTICAL}: {', '.join(copies)}"] if copies else []
    seconds = round(time.monotonic() - started, 1)
    status = "pass" if not unbuilt else "error"
    stubbed = {n: len(stubs_in_package(p.path)) for n, p in packages.items()}
    return wheels, [Row(name, "tree", str(folder), status, len(wheels) - len(unbuilt),
                        len(unbuilt), seconds, "; ".join(flagged + unbuilt)[:2000])], stubbed


NOT_RUN = "not run: "


def skipped_row(job: Job, hung: dict[str, str], stubbed: dict[str, int]) -> Row | None:
    """The row of a job not worth running: it needs a student package that already hung in
    another run (a hang costs one timeout per student), or a milestone on packages with
    starter stubs left (it cannot pass). None when the job should run."""
    hanging = [f"{n} (in {hung[n]})" for n in job.own if n in hung]
    if hanging and not job.problem:
        return Row(job.student, job.kind, job.target, "timeout", 0, 0, 0.0,
                   f"{NOT_RUN}it needs {', '.join(hanging)}, which already did not finish "
                   f"within the time limit")
    stubs = [f"{n} ({stubbed[n]} functions)" for n in job.own if stubbed.get(n)]
    if job.kind == "milestone" and stubs and not job.problem:
        return Row(job.student, job.kind, job.target, "not implemented", 0, 0, 0.0,
                   f"{NOT_RUN}not implemented yet in {', '.join(stubs)}", not_implemented=1)
    return None


def flag_copies(rows: list[Row]) -> list[Row]:
    """Package rows of a package the tree row names as identical to the reference say so."""
    copies = {}
    for row in rows:
        if row.kind == "tree" and row.details.startswith(IDENTICAL):
            copies[row.student] = row.details.split(";")[0].removeprefix(f"{IDENTICAL}: ")
    return [replace(row, details=f"{IDENTICAL}; {row.details}".rstrip("; "))
            if row.kind == "package" and row.target in copies.get(row.student, "").split(", ")
            else row for row in rows]


def grade(folders: Sequence[Path], reference_packages: dict[str, Package], milestones,
          reference: dict[str, Path], workers: int, timeout: float,
          log: Callable[[str], None] = print,
          package_names: Sequence[str] | None = None) -> list[Row]:
    """Grade every student folder; rows in student order, then target order.

    ``package_names`` limits the package test runs (default: every package).
    """
    check_reference(reference, reference_packages,
                    list(reference_packages if package_names is None else package_names))
    targets = {name: package_target(name, reference_packages) for name in reference_packages}
    targets.update({m.session: replace(milestone_target(m), script_args=GRADE_ARGS)
                    for m in milestones})
    names = student_names(folders)
    build_tools = sorted({wheel.parent / BUILD_TOOLS for wheel in reference.values()})
    log(f"sandbox for student code: {sandbox_status()}")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="tinytorch-grade-") as tmp, \
            ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        workdir = Path(tmp)
        prepared = list(pool.map(
            lambda pair: prepare_student(pair[0], pair[1], reference_packages, workdir, timeout,
                                         build_tools),
            zip(folders, names, strict=True)))
        jobs, stubbed = [], {}
        for name, (wheels, tree_rows, stubs) in zip(names, prepared, strict=True):
            rows += tree_rows
            stubbed[name] = stubs
            log(f"{name}: {tree_rows[0].status} ({tree_rows[0].details or 'every package built'})")
            if wheels:
                jobs += plan_jobs(name, wheels, reference, reference_packages, milestones,
                                  package_names)
        hung: dict[str, dict[str, str]] = {name: {} for name in names}   # package -> where

        def run(job: Job) -> Row:
            row = skipped_row(job, hung[job.student], stubbed[job.student]) or \
                run_job(job, targets, workdir, timeout)
            if row.status == "timeout" and not row.details.startswith(NOT_RUN):
                hung[job.student].update({n: job.target for n in job.own})
            log(f"{row.student:<16} {row.kind:<9} {row.target:<14} {row.status.upper():<7} "
                f"{row.passed} passed, {row.failed} failed  [{row.seconds:.0f}s]")
            return row

        # package runs first: a package that hangs there is not run again in a milestone
        rows += list(pool.map(run, [j for j in jobs if j.kind == "package"]))
        rows += list(pool.map(run, [j for j in jobs if j.kind != "package"]))
    commits = dict(zip(names, map(tree_commit, folders), strict=True))
    return [replace(row, commit=commits[row.student]) for row in flag_copies(rows)]


def reference_record(reference: dict[str, Path]) -> dict:
    """The reference the class was graded against: each wheel's version and file, and what
    the wheelhouse's ``wheelhouse.json`` says (built from, commit)."""
    folders = sorted({wheel.parent for wheel in reference.values()})
    manifests = [read_manifest(folder) for folder in folders]
    return {"wheelhouse": [str(f) for f in folders],
            "built_from": sorted({m.get("built_from", "unknown") for m in manifests}),
            "commit": sorted({m.get("commit", "unknown") for m in manifests}),
            "versions": {name: str(wheel_name_version(wheel)[1])
                         for name, wheel in reference.items()},
            "wheels": {name: wheel.name for name, wheel in reference.items()}}


def student_score(rows: Sequence[Row]) -> float:
    """A student's score: the mean of their package and milestone rows' scores."""
    scored = [row.score for row in rows if row.kind != "tree"]
    return round(sum(scored) / len(scored), 1) if scored else 0.0


def by_student(rows: Sequence[Row]) -> dict[str, dict]:
    """The JSON report's ``students``: per student its commit, score, tree row, packages
    and milestones."""
    students: dict[str, dict] = {}
    for row in rows:
        entry = students.setdefault(row.student, {
            "commit": row.commit, "score": 0.0, "tree": None, "packages": {},
            "milestones": {}, "seconds": 0.0})
        record = {k: v for k, v in row.record().items()
                  if k not in ("student", "kind", "target", "commit")}
        if row.kind == "tree":
            entry["tree"] = record
        else:
            entry[f"{row.kind}s"][row.target] = record
        entry["seconds"] = round(entry["seconds"] + row.seconds, 1)
    for student, entry in students.items():
        entry["score"] = student_score([r for r in rows if r.student == student])
    return students


def csv_text(records: Sequence[dict]) -> str:
    """The CSV report's text: one line per run."""
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return table.getvalue()


def write_reports(rows: Sequence[Row], out: Path, settings: dict,
                  reference: dict[str, Path] | None = None) -> tuple[Path, Path]:
    """``grades.csv`` (one row per run) and ``grades.json`` (by student) in ``out``, with
    the reference used (versions, wheelhouse commit) and every student's graded commit."""
    out.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = out / "grades.csv", out / "grades.json"
    replace_text(csv_path, csv_text([row.record() for row in rows]))
    report = {"generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "sandbox": sandbox_status(), **settings,
              "reference": reference_record(reference or {}), "students": by_student(rows)}
    replace_text(json_path, json.dumps(report, indent=2) + "\n")
    return csv_path, json_path


def format_grades(rows: Sequence[Row]) -> str:
    """One line per student: packages and milestones passed, and what failed."""
    lines = []
    for student in dict.fromkeys(r.student for r in rows):
        mine = [r for r in rows if r.student == student and r.kind != "tree"]
        tree = next((r for r in rows if r.student == student and r.kind == "tree"), None)
        if not mine:
            lines.append(f"{student}: {tree.details if tree else 'nothing ran'}")
            continue
        packages = [r for r in mine if r.kind == "package"]
        stones = [r for r in mine if r.kind == "milestone"]
        failing = [f"{r.target} ({r.status})" for r in mine if r.status != "pass"]
        lines.append(f"{student}: score {student_score(mine):.1f}, packages "
                     f"{sum(r.status == 'pass' for r in packages)}/{len(packages)}, milestones "
                     f"{sum(r.status == 'pass' for r in stones)}/{len(stones)}"
                     + (f"; not passing: {', '.join(failing)}" if failing else ""))
    return "\n".join(lines)
