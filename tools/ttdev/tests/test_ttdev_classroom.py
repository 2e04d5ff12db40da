"""The GitHub Classroom workflow calls only nox sessions that exist, for every planned job."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ttdev.classroom import plan

yaml = pytest.importorskip("yaml")
ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = ROOT / ".github" / "workflows" / "classroom.yml"
NOX_SESSION = re.compile(r"\bnox\s+-s\s+(\"[^\"]+\"|'[^']+'|\$\{\{[^}]*\}\}|\S+)")


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


def test_every_nox_command_names_a_real_session():
    pytest.importorskip("nox")
    workflow = yaml.safe_load(WORKFLOW.read_text())
    planned = plan(ROOT)
    matrix = {"package": planned["packages"], "milestone": planned["milestones"]}
    called = [name for _, script in run_commands(workflow)
              for raw in NOX_SESSION.findall(script) for name in expand(raw.strip("\"'"), matrix)]
    assert any(name.startswith("test(") for name in called)
    assert any(name.startswith("milestone_") for name in called)
    unknown = sorted(set(called) - nox_sessions())
    assert unknown == [], f"{WORKFLOW} calls sessions the noxfile does not have: {unknown}"


def test_the_matrices_come_from_the_plan_job():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    assert "tools/ttdev/classroom.py" in dict(run_commands(workflow))["plan"]
    for job, key in (("package", "packages"), ("milestone", "milestones")):
        matrix = workflow["jobs"][job]["strategy"]["matrix"]
        assert f"needs.plan.outputs.{key}" in str(matrix)
    assert plan(ROOT)["packages"][0] == "tt-tensor"
