"""What a run prints: failing bars explained, colour only for a terminal, one progress display."""

import io
import json

import pytest

from ttdev.milestone import Milestone
from ttdev.milestone.console import Transcript, colour_enabled, paint
from ttdev.milestone.progress import PlainProgress
from ttdev.milestone.runner import colour_report, format_report


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def failing_run(milestone_dir, tmp_path, capsys):
    """A planted failure: test_accuracy misses its bar, final_loss is never recorded."""
    ms = Milestone.from_script(str(milestone_dir / "train.py"),
                               argv=["--quick", "--results-dir", str(tmp_path)])
    ms.record("test_accuracy", 0.2)
    assert ms.finish() == 1
    return capsys.readouterr().out, ms


def test_a_failing_bar_prints_its_description_causes_and_next_command(milestone_dir, tmp_path,
                                                                      capsys):
    out, ms = failing_run(milestone_dir, tmp_path, capsys)
    lines = out.splitlines()
    at = lines.index("  FAIL  test_accuracy = 0.2  (bar >= 0.8)")
    assert lines[at + 1].strip() == "what:  held-out accuracy"
    assert lines[at + 2].strip() == "likely causes:"
    assert lines[at + 3].strip() == "- matmul's backward is transposed"
    assert lines[at + 5].strip() == 'next:  nox -s "test(tt-autograd)" -- -k matmul'
    report = json.loads((ms.results_dir / "train.json").read_text())
    assert report["bars"][0]["causes"][1] == "the bias gradient is not summed over the batch"


def test_a_bar_without_a_next_command_points_at_the_unlocking_package(milestone_dir, tmp_path,
                                                                     capsys):
    out, _ = failing_run(milestone_dir, tmp_path, capsys)
    after = out.split("FAIL  final_loss = not recorded", 1)[1].splitlines()[1]
    assert after.strip() == ('next:  nox -s "test(tt-autograd)"   then   '
                             'nox -s isolate -- milestone_01')


def test_passing_bars_print_no_explanation():
    report = {"milestone": {"title": "T"}, "script": "s.py", "quick": True, "wall_seconds": 1.0,
              "facts": {}, "passed": True,
              "bars": [{"metric": "acc", "value": 0.9, "bar": ">= 0.8", "passed": True,
                        "description": "d", "causes": ["c"], "next": "n"}]}
    assert "likely causes" not in format_report(report) and "next:" not in format_report(report)


def test_colour_only_for_a_terminal_and_never_with_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert colour_enabled(FakeTerminal()) and not colour_enabled(io.StringIO())
    assert paint("PASS", "pass", FakeTerminal()) == "\x1b[1;32mPASS\x1b[0m"
    assert paint("PASS", "pass", io.StringIO()) == "PASS"
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_enabled(FakeTerminal())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert colour_enabled(io.StringIO())


def test_the_report_is_coloured_by_verdict(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    text = colour_report("== T ==\n  PASS  a = 1  (bar >= 0)\n  FAIL  b = 0  (bar >= 1)\nFAILED")
    assert "\x1b[1;32mPASS\x1b[0m  a = 1" in text and "\x1b[1;31mFAIL\x1b[0m  b = 0" in text
    assert text.endswith("\x1b[1;31mFAILED\x1b[0m")


def test_the_transcript_is_plain_text(monkeypatch):
    stream = FakeTerminal()
    transcript = Transcript(stream)
    transcript.write("\x1b[1;32mPASS\x1b[0m  acc\n")
    assert stream.getvalue() == "\x1b[1;32mPASS\x1b[0m  acc\n"
    assert transcript.stop() == "PASS  acc\n"


def test_one_plain_display_over_several_loops_prints_at_close_only():
    stream = io.StringIO()
    bar = PlainProgress(desc="cnn", total=6, every=1e9, stream=stream)
    for epoch in range(3):
        bar.set_description(f"cnn epoch {epoch + 1}/3")
        for _ in bar(range(2)):
            bar.set_postfix(loss=0.5, acc=0.75)
    assert stream.getvalue() == ""   # a log gets no line per epoch
    bar.close()
    bar.close()                      # closing twice prints once
    (line,) = stream.getvalue().splitlines()
    assert line.startswith("cnn epoch 3/3: 6/6 (100%)") and line.endswith("loss=0.5 acc=0.75")


def test_backward_checks_the_graph_once_and_draws_it(milestone_dir, tmp_path, capsys):
    pytest.importorskip("tinytorch.autograd")
    from tinytorch.tensor import Tensor

    ms = Milestone.from_script(str(milestone_dir / "train.py"),
                               argv=["--results-dir", str(tmp_path)])
    w = Tensor([1.0, 2.0], requires_grad=True)
    unused = Tensor([1.0], requires_grad=True)
    ms.backward((w * w).sum(), {"w": w, "unused": unused}, draw=True)
    out = capsys.readouterr().out
    assert "parameter 'unused': no gradient" in out
    assert (ms.results_dir / "graph.svg").read_text().lstrip().startswith("<?xml")
    ms.backward((w * 3).sum(), {"w": w, "unused": unused}, draw=True)  # later: plain backward
    assert capsys.readouterr().out == ""
    assert len(ms.graph_check) == 1
    assert ms.graph_check[0].startswith("parameter 'unused': no gradient")
    assert w.grad.tolist() == [5.0, 7.0]   # 2w, then + 3
    ms._transcript.stop()


def test_long_causes_wrap_within_100_columns():
    cause = "a backward rule gives wrong gradients " * 5
    report = {"milestone": {"title": "T"}, "script": "s.py", "quick": True, "wall_seconds": 1.0,
              "facts": {}, "passed": False,
              "bars": [{"metric": "acc", "value": 0.1, "bar": ">= 0.8", "passed": False,
                        "description": "d", "causes": [cause], "next": "n"}]}
    lines = format_report(report).splitlines()
    assert max(map(len, lines)) <= 100
    cause_lines = lines[lines.index("        likely causes:") + 1:-2]
    assert len(cause_lines) > 1 and cause_lines[0].startswith("          - ")
    assert " ".join(line.strip(" -") for line in cause_lines) == cause.strip()
