"""The Milestone runner: options, bars, results file, provenance, progress fallback."""

import io
import json

import pytest

from ttdev.milestone import Milestone
from ttdev.milestone.progress import PlainProgress
from ttdev.milestone.runner import count_parameters, format_report
from ttdev.provenance import format_table


def _milestone(milestone_dir, *argv):
    return Milestone.from_script(str(milestone_dir / "train.py"), argv=list(argv))


def test_common_options_and_extra_ones(milestone_dir):
    ms = _milestone(milestone_dir, "--quick", "--seed", "3", "--hidden", "8")
    ms.parser.add_argument("--hidden", type=int, default=4)
    assert ms.args.quick and ms.args.seed == 3 and ms.args.hidden == 8
    assert ms.epochs(full=30, quick=5) == 5
    assert _milestone(milestone_dir, "--epochs", "7").epochs(full=30, quick=5) == 7


def test_results_go_beside_the_repo_by_default(milestone_dir, monkeypatch):
    monkeypatch.delenv("TT_RESULTS_DIR", raising=False)
    ms = _milestone(milestone_dir)
    assert ms.results_dir == milestone_dir.parents[1] / "results" / "milestones" / \
        "01_1957_perceptron"


def test_all_bars_met_writes_results_and_returns_zero(milestone_dir, tmp_path, capsys):
    ms = _milestone(milestone_dir, "--quick", "--results-dir", str(tmp_path / "out"))
    ms.record("test_accuracy", 0.85)
    ms.record("final_loss", 0.3)
    ms.log("loss", 0, 1.0)
    ms.log("loss", 1, 0.3)
    ms.facts(model_or_params=[[1.0, 2.0]], train_seconds=2.0, samples=100)
    assert ms.finish() == 0
    results = json.loads((tmp_path / "out" / "01_1957_perceptron" / "train.json").read_text())
    assert results["passed"] and results["quick"] and results["seed"] == 0
    assert results["metrics"] == {"test_accuracy": 0.85, "final_loss": 0.3}
    assert results["facts"]["samples_per_second"] == 50
    assert results["milestone"]["year"] == 1957
    assert isinstance(results["packages"], list) and "python" in results
    assert "PASS" in capsys.readouterr().out


def test_a_grade_run_takes_the_grade_budget_the_quick_bars_and_draws_no_figure(
        milestone_dir, tmp_path, capsys):
    ms = _milestone(milestone_dir, "--grade", "--results-dir", str(tmp_path))
    assert ms.args.quick and ms.args.grade
    assert ms.epochs(full=30, quick=5, grade=2) == 2 and ms.budget(30, 5, grade=2) == 2
    assert ms.epochs(full=30, quick=5) == 5    # no grade budget: quick's
    assert _milestone(milestone_dir, "--quick").epochs(full=30, quick=5, grade=2) == 5
    assert _milestone(milestone_dir, "--grade", "--epochs", "7").epochs(30, 5, grade=2) == 7
    ms.record("test_accuracy", 0.85)   # passes the quick bar (0.8), not the full one (0.9)
    ms.record("final_loss", 0.3)
    ms.log("loss", 0, 1.0)
    ms.figure("loss", "Loss", xlabel="epoch").line("train", *ms.curve("loss"))
    assert ms.finish() == 0
    assert "figures: not drawn (--grade)" in capsys.readouterr().out
    results = json.loads((tmp_path / "01_1957_perceptron" / "train.json").read_text())
    assert results["grade"] and results["quick"] and results["figures"] == []
    assert not list((tmp_path / "01_1957_perceptron").glob("*.png"))


def test_full_mode_uses_the_full_bar(milestone_dir, tmp_path):
    ms = _milestone(milestone_dir, "--results-dir", str(tmp_path))
    ms.record("test_accuracy", 0.85)
    ms.record("final_loss", 0.3)
    assert ms.finish() == 1


def _finished_run(milestone_dir, out, accuracy, *flags):
    ms = _milestone(milestone_dir, *flags, "--results-dir", str(out))
    ms.record("test_accuracy", accuracy)
    ms.record("final_loss", 0.3)
    return ms.finish()


def test_a_full_run_is_kept_beside_the_latest_and_no_quick_or_failed_run_replaces_it(
        milestone_dir, tmp_path):
    folder = tmp_path / "01_1957_perceptron"
    kept = folder / "full" / "train.json"
    assert _finished_run(milestone_dir, tmp_path, 0.90, "--quick") == 0
    assert not kept.exists(), "a quick run is not a full run"
    assert _finished_run(milestone_dir, tmp_path, 0.97) == 0
    assert json.loads(kept.read_text())["metrics"]["test_accuracy"] == 0.97
    assert _finished_run(milestone_dir, tmp_path, 0.85, "--quick") == 0
    assert _finished_run(milestone_dir, tmp_path, 0.90) == 1          # full, below its bar
    latest = json.loads((folder / "train.json").read_text())
    assert latest["metrics"]["test_accuracy"] == 0.90 and not latest["quick"]
    assert json.loads(kept.read_text())["metrics"]["test_accuracy"] == 0.97, (
        "a failed full run replaced the passed one")
    assert _finished_run(milestone_dir, tmp_path, 0.98) == 0
    assert json.loads(kept.read_text())["metrics"]["test_accuracy"] == 0.98


def test_metric_never_recorded_fails(milestone_dir, tmp_path, capsys):
    ms = _milestone(milestone_dir, "--quick", "--results-dir", str(tmp_path))
    ms.record("test_accuracy", 0.99)
    assert ms.finish() == 1
    assert "final_loss = not recorded" in capsys.readouterr().out


def test_script_without_bars_cannot_pass():
    report = {"milestone": {"title": "T"}, "script": "s.py", "quick": False,
              "wall_seconds": 0.0, "bars": [], "facts": {}, "passed": False}
    assert "nothing was checked" in format_report(report)


def test_undeclared_script_is_refused(milestone_dir):
    with pytest.raises(ValueError, match="no \\[\\[script\\]\\]"):
        Milestone.from_script(str(milestone_dir / "other.py"), argv=[])


def test_count_parameters_of_arrays_and_modules():
    np = pytest.importorskip("numpy")

    class Param:
        def __init__(self, shape):
            self.data = np.zeros(shape, dtype=np.float32)

    class Model:
        def parameters(self):
            return iter([Param((3, 2)), Param((2,))])

    assert count_parameters(Model()) == (8, 32)
    assert count_parameters([np.zeros(5, dtype=np.float64)]) == (5, 40)


def test_plain_progress_prints_lines_with_postfix():
    stream = io.StringIO()
    bar = PlainProgress(range(3), desc="train", every=0.0, stream=stream)
    items = []
    for i in bar:
        bar.set_postfix(loss=0.5)
        items.append(i)
    assert items == [0, 1, 2]
    assert "train: 3/3 (100%)" in stream.getvalue() and "loss=0.5" in stream.getvalue()


def test_provenance_table_flags_missing_packages():
    rows = [{"name": "tt-tensor", "version": "0.1.0", "location": "/x", "origin": "wheel w"}]
    table = format_table(rows, ["tt-tensor", "tt-nn"])
    assert "tt-tensor      0.1.0" in table and "tt-nn" in table and "NOT INSTALLED" in table


def test_provenance_exits_1_when_a_named_package_is_not_installed(capsys):
    from ttdev import provenance

    assert provenance.main(["tt-Not_Here"]) == 1
    assert "tt-not-here" in capsys.readouterr().out
    assert provenance.main([]) == 0
    with pytest.raises(SystemExit) as exit_info:
        provenance.main(["--all"])
    assert exit_info.value.code == 2 and "unrecognized arguments: --all" in capsys.readouterr().err


@pytest.mark.parametrize("epochs", ["-1", "two", "1.5"])
def test_negative_or_not_whole_epochs_are_refused_with_a_usage_error(epochs, capsys):
    from ttdev.milestone.runner import build_parser

    with pytest.raises(SystemExit) as exit_info:
        build_parser("test").parse_args(["--epochs", epochs])
    assert exit_info.value.code == 2
    assert "expected a whole number >= 0" in capsys.readouterr().err


def test_zero_epochs_is_accepted_to_measure_the_untrained_model():
    from ttdev.milestone.runner import build_parser

    assert build_parser("test").parse_args(["--epochs", "0"]).epochs == 0


@pytest.mark.parametrize("seconds", ["0", "-5", "inf", "nan"])
def test_positive_float_refuses_what_is_not_a_finite_positive_number(seconds):
    import argparse

    from ttdev.milestone.runner import positive_float

    with pytest.raises(argparse.ArgumentTypeError):
        positive_float(seconds)


def test_epochs_zero_is_a_usage_error_unless_the_script_can_measure_an_untrained_model(
    milestone_dir, capsys
):
    assert _milestone(milestone_dir, "--epochs", "0").epochs(10, 2, minimum=0) == 0
    with pytest.raises(SystemExit) as exit_info:
        _milestone(milestone_dir, "--epochs", "0").epochs(10, 2)
    assert exit_info.value.code == 2
    assert "needs at least 1 epoch" in capsys.readouterr().err
    assert _milestone(milestone_dir, "--quick").epochs(10, 2) == 2
