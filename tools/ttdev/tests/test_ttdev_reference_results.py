"""tools/ttdev/reference_results.py: the shipped reference run is a small copy of a full run."""

import json
import struct
import zlib

import pytest

from ttdev import reference_results


def tiny_png() -> bytes:
    """A valid 1x1 white PNG (a figure to copy)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def write_report(results, quick):
    folder = results / "milestones" / "01_1957_perceptron"
    folder.mkdir(parents=True)
    report = {"script": "perceptron_trained.py", "quick": quick, "passed": True,
              "curves": {"loss": [[0, 1.0]] * 500}, "argv": ["--results-dir", "/home/me"],
              "figures": [{"file": "perceptron_trained_loss.png", "title": "loss"}]}
    (folder / "perceptron_trained.json").write_text(json.dumps(report))
    (folder / "perceptron_trained_loss.png").write_bytes(tiny_png())
    (folder / "perceptron_trained.log").write_text("a transcript")


def test_a_full_run_is_copied_with_its_figures_without_curves(tmp_path, monkeypatch):
    monkeypatch.setattr(reference_results, "TARGET", tmp_path / "reference")
    write_report(tmp_path / "results", quick=False)
    assert reference_results.main([str(tmp_path / "results")]) == 0
    out = tmp_path / "reference" / "milestones" / "01_1957_perceptron"
    report = json.loads((out / "perceptron_trained.json").read_text())
    assert "curves" not in report and "argv" not in report and report["passed"]
    assert (out / "perceptron_trained_loss.png").is_file()
    assert not (out / "perceptron_trained.log").exists()
    info = json.loads((tmp_path / "reference" / "reference.json").read_text())
    assert info["date"] and info["commit"]


def test_a_quick_run_is_not_a_reference(tmp_path, monkeypatch):
    monkeypatch.setattr(reference_results, "TARGET", tmp_path / "reference")
    write_report(tmp_path / "results", quick=True)
    with pytest.raises(SystemExit, match="quick run"):
        reference_results.main([str(tmp_path / "results")])


def test_a_results_folder_that_does_not_exist_is_refused_before_anything_is_removed(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(reference_results, "TARGET", tmp_path / "reference")
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "reference.json").write_text("{}")
    with pytest.raises(SystemExit) as exit_info:
        reference_results.main([str(tmp_path / "nope")])
    assert exit_info.value.code == 2
    assert "nope is not a folder; expected the results/ folder" in capsys.readouterr().err
    assert (tmp_path / "reference" / "reference.json").is_file()


def test_more_than_one_results_folder_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        reference_results.main([str(tmp_path), str(tmp_path)])
    assert "unrecognized arguments" in capsys.readouterr().err
