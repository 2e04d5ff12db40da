"""The tooling's reports are replaced whole: a failing write keeps the old one."""

import os
import stat

import pytest

from ttdev.files import replace_text


def test_replaces_the_text_and_keeps_the_permission_bits(tmp_path):
    path = tmp_path / "grades.json"
    path.write_text("old")
    os.chmod(path, 0o640)
    replace_text(path, "new, with ü")
    assert path.read_text(encoding="utf-8") == "new, with ü"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.json"]


def test_a_failing_write_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "grades.csv"
    path.write_text("student,status\nalice,pass\n")

    def broken_fsync(descriptor):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        replace_text(path, "half")
    assert path.read_text() == "student,status\nalice,pass\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv"]
