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
