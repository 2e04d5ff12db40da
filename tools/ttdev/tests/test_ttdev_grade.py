"""grade's preparation of a student tree: an unreadable package is named, never a crash."""

from pathlib import Path

import pytest

from ttdev.grade import GradeError, plan_jobs, prepare_student, read_student_packages, run_job
from ttdev.graph import discover_packages
from ttdev.targets import Unbuilt

REFERENCE = discover_packages(Path(__file__).resolve().parents[3] / "packages")


def _package(tree: Path, folder: str, pyproject: str) -> None:
    (tree / "packages" / folder).mkdir(parents=True)
    (tree / "packages" / folder / "pyproject.toml").write_text(pyproject)


def test_a_malformed_pyproject_is_named_and_the_other_packages_are_still_read(tmp_path):
    alice = tmp_path / "alice"
    _package(alice, "tt-tensor", (REFERENCE["tt-tensor"].path / "pyproject.toml").read_text())
    (alice / "packages/tt-tensor/src/tinytorch/tensor").mkdir(parents=True)
    (alice / "packages/tt-tensor/src/tinytorch/tensor/__about__.py").write_text(
        '__version__ = "0.3.0"\n')
    _package(alice, "tt-nn", '[project]\nname = "tt-nn"\ndependencies = [\n')
    _package(alice, "tt-optim", '[project]\nname = "tt-optim"\n[tool]\nhatch = 1\n')
    packages, unreadable = read_student_packages(alice, REFERENCE)
    assert list(packages) == ["tt-tensor"]
    assert set(unreadable) == {"tt-nn", "tt-optim"}
    assert str(alice / "packages/tt-nn/pyproject.toml") in unreadable["tt-nn"]
    assert "not valid TOML" in unreadable["tt-nn"]
    assert str(alice / "packages/tt-optim/pyproject.toml") in unreadable["tt-optim"]


def test_only_the_jobs_needing_an_unreadable_package_are_errors(tmp_path):
    wheels = {name: tmp_path / f"{name}.whl" for name in REFERENCE}
    wheels["tt-nn"] = Unbuilt("error", "error: packages/tt-nn/pyproject.toml: not valid TOML")
    reference = {name: tmp_path / f"ref-{name}.whl" for name in REFERENCE}
    jobs = {job.target: job for job in plan_jobs("alice", wheels, reference, REFERENCE, [])}
    assert "pyproject.toml: not valid TOML" in jobs["tt-nn"].problem
    assert jobs["tt-tensor"].problem == "" and jobs["tt-optim"].problem == ""
    assert reference["tt-nn"] in jobs["tt-optim"].wheels   # its dependency from the reference


def test_a_job_that_cannot_run_takes_its_status_from_the_field_not_from_its_words(tmp_path):
    wheels = {name: tmp_path / f"{name}.whl" for name in REFERENCE}
    wheels["tt-nn"] = Unbuilt("error", "does not build: ModuleNotFoundError: missing module")
    wheels["tt-optim"] = Unbuilt("missing", "the student's tree has no such package")
    reference = {name: tmp_path / f"ref-{name}.whl" for name in REFERENCE}
    jobs = {job.target: job for job in plan_jobs("alice", wheels, reference, REFERENCE, [])}
    rows = {name: run_job(jobs[name], {}, tmp_path, 10) for name in ("tt-nn", "tt-optim")}
    assert rows["tt-nn"].status == "error" and "missing module" in rows["tt-nn"].details
    assert rows["tt-optim"].status == "missing"
    assert rows["tt-optim"].details == "tt-optim the student's tree has no such package"


def test_a_reference_without_a_dependency_is_an_error_naming_both(tmp_path):
    wheels = {name: tmp_path / f"{name}.whl" for name in REFERENCE}
    reference = {name: tmp_path / f"ref-{name}.whl" for name in REFERENCE if name != "tt-autograd"}
    with pytest.raises(GradeError, match="no wheel of tt-autograd, which tt-nn depends on"):
        plan_jobs("alice", wheels, reference, REFERENCE, [], package_names=["tt-nn"])
    only_tensor = plan_jobs("alice", wheels, reference, REFERENCE, [], package_names=["tt-tensor"])
    assert [job.target for job in only_tensor] == ["tt-tensor"]   # it needs no reference


def test_a_tree_without_packages_gives_a_tree_error_row(tmp_path):
    (tmp_path / "bob").mkdir()
    wheels, [row], _ = prepare_student(tmp_path / "bob", "bob", REFERENCE, tmp_path / "work",
                                       10)
    assert wheels == {}
    assert (row.kind, row.status) == ("tree", "error") and "no packages" in row.details


def test_the_json_report_says_whether_student_code_was_sandboxed(tmp_path, monkeypatch):
    import json

    from ttdev import sandbox
    from ttdev.grade import Row, write_reports

    monkeypatch.setattr(sandbox, "_sandbox_state",
                        {"bwrap": None, "reason": "bubblewrap (bwrap) is not installed"})
    row = Row("alice", "package", "tt-tensor", "pass", 3, 0, 1.0, "")
    _, report = write_reports([row], tmp_path, {"timeout": 10})
    assert json.loads(report.read_text())["sandbox"] == \
        "unavailable: bubblewrap (bwrap) is not installed"


def test_scores_keep_not_implemented_apart_from_failed():
    from ttdev.grade import Row, student_score

    partial = Row("alice", "package", "tt-nn", "fail", 6, 2, 1.0, "", not_implemented=2)
    stubs = Row("alice", "package", "tt-optim", "not implemented", 0, 0, 1.0, "", 5)
    crashed = Row("alice", "milestone", "milestone_02", "timeout", 0, 0, 9.0, "")
    assert partial.score == 60.0 and stubs.score == 0.0 and crashed.score == 0.0
    assert Row("alice", "milestone", "milestone_01", "pass", 1, 0, 1.0, "").score == 100.0
    assert partial.record()["not_implemented"] == 2 and partial.record()["score"] == 60.0
    assert student_score([partial, stubs, crashed]) == 20.0


def test_reports_record_the_commit_the_score_and_the_reference(tmp_path):
    import csv
    import json

    from ttdev.grade import Row, write_reports
    from ttdev.wheels import write_manifest

    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    write_manifest(wheelhouse, "reference", "abc123", {"tt-tensor": "0.4.0"})
    reference = {"tt-tensor": wheelhouse / "tt_tensor-0.4.0-py3-none-any.whl"}
    rows = [Row("alice", "tree", "/s/alice", "pass", 1, 0, 1.0, "", commit="f00d"),
            Row("alice", "package", "tt-tensor", "fail", 3, 1, 1.0, "test_x", 0, "f00d")]
    csv_path, json_path = write_reports(rows, tmp_path / "out", {"timeout": 10}, reference)
    report = json.loads(json_path.read_text())
    assert report["reference"]["versions"] == {"tt-tensor": "0.4.0"}
    assert report["reference"]["commit"] == ["abc123"]
    alice = report["students"]["alice"]
    assert alice["commit"] == "f00d" and alice["score"] == 75.0
    assert alice["packages"]["tt-tensor"]["not_implemented"] == 0
    [_, package] = list(csv.DictReader(csv_path.open()))
    assert (package["commit"], package["score"], package["failed"]) == ("f00d", "75.0", "1")


def test_a_package_that_hung_is_not_run_again_and_stubbed_milestones_are_not_run(tmp_path):
    from ttdev.grade import Job, skipped_row

    milestone = Job("alice", "milestone", "milestone_02", (tmp_path / "a.whl",),
                    own=("tt-tensor", "tt-autograd", "tt-nn"))
    hung = skipped_row(milestone, {"tt-autograd": "tt-autograd"}, {})
    assert hung.status == "timeout" and "tt-autograd (in tt-autograd)" in hung.details
    assert hung.details.startswith("not run: ")
    stubbed = skipped_row(milestone, {}, {"tt-nn": 3, "tt-tensor": 0})
    assert stubbed.status == "not implemented" and "tt-nn (3 functions)" in stubbed.details
    assert skipped_row(milestone, {}, {"tt-nn": 0}) is None
    package = Job("alice", "package", "tt-nn", (tmp_path / "a.whl",), own=("tt-nn",))
    assert skipped_row(package, {}, {"tt-nn": 3}) is None   # its tests still run
