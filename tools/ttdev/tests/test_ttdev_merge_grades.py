"""merge_grades: many students' reports (one per grading job) become one class report."""

import csv
import json

import pytest

from ttdev.grade import Row, write_reports
from ttdev.merge_grades import MergeError, main, write_class_report


def _report(folder, student, status, versions=None, commit="c0ffee"):
    from ttdev.wheels import write_manifest

    wheelhouse = folder / "wheelhouse"
    wheelhouse.mkdir(parents=True)
    versions = versions or {"tt-tensor": "0.4.0"}
    write_manifest(wheelhouse, "reference", "abc", versions)
    reference = {n: wheelhouse / f"{n.replace('-', '_')}-{v}-py3-none-any.whl"
                 for n, v in versions.items()}
    rows = [Row(student, "tree", str(folder), "pass", 1, 0, 1.0, "", commit=commit),
            Row(student, "package", "tt-tensor", status, 4, 0 if status == "pass" else 4, 2.0,
                "", commit=commit),
            Row(student, "milestone", "milestone_01", "pass", 1, 0, 3.0, "", commit=commit)]
    return write_reports(rows, folder / "out", {"timeout": 10}, reference)


def test_the_class_report_holds_every_student_with_score_and_commit(tmp_path):
    _, alice_json = _report(tmp_path / "alice", "alice", "pass", commit="aaa")
    bob_csv, _ = _report(tmp_path / "bob", "bob", "fail", commit="bbb")
    lines = write_class_report([alice_json.parent, bob_csv], tmp_path / "class")
    assert [(line["student"], line["score"], line["commit"]) for line in lines] == [
        ("alice", 100.0, "aaa"), ("bob", 75.0, "bbb")]
    rows = list(csv.DictReader((tmp_path / "class" / "grades.csv").open()))
    assert [(r["student"], r["kind"]) for r in rows] == [
        ("alice", "tree"), ("alice", "package"), ("alice", "milestone"),
        ("bob", "tree"), ("bob", "package"), ("bob", "milestone")]
    merged = json.loads((tmp_path / "class" / "grades.json").read_text())
    assert merged["students"]["bob"]["not_passing"] == "tt-tensor (fail)"
    assert merged["sources"][0]["reference"]["versions"] == {"tt-tensor": "0.4.0"}
    summary = list(csv.DictReader((tmp_path / "class" / "summary.csv").open()))
    assert [s["packages_passed"] for s in summary] == ["1", "0"]


def test_a_student_in_two_reports_is_an_error(tmp_path):
    _, first = _report(tmp_path / "a", "alice", "pass")
    _, second = _report(tmp_path / "b", "alice", "fail")
    with pytest.raises(MergeError, match="alice is graded in both"):
        write_class_report([first, second], tmp_path / "class")
    assert main([str(first), str(second), "--out", str(tmp_path / "c")]) == 2


def test_different_reference_versions_are_warned_about(tmp_path):
    _, first = _report(tmp_path / "a", "alice", "pass", {"tt-tensor": "0.4.0"})
    _, second = _report(tmp_path / "b", "bob", "pass", {"tt-tensor": "0.4.1"})
    write_class_report([first, second], tmp_path / "class")
    merged = json.loads((tmp_path / "class" / "grades.json").read_text())
    assert merged["warnings"] and "tt-tensor was graded at several versions" in \
        merged["warnings"][0]


def test_a_missing_input_is_named(tmp_path):
    with pytest.raises(MergeError, match="neither grades.json nor grades.csv"):
        write_class_report([tmp_path], tmp_path / "class")
