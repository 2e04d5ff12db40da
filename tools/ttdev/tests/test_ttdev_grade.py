"""grade's preparation of a student tree: an unreadable tree is a row, never a crash."""

from ttdev.grade import prepare_student


def test_a_malformed_pyproject_gives_a_tree_error_row_instead_of_stopping_grade(tmp_path):
    folder = tmp_path / "alice" / "packages" / "tt-tensor"
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "tt-tensor"\n[tool]\nhatch = 1\n')
    wheels, [row] = prepare_student(tmp_path / "alice", "alice", {}, tmp_path / "work", 10)
    assert wheels == {}
    assert (row.kind, row.status) == ("tree", "error")
    assert "AttributeError" in row.details and str(tmp_path / "alice" / "packages") in row.details


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
