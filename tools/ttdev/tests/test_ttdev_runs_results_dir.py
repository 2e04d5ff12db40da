"""run_script: nox's --results-dir is a default, the user's --results-dir wins."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from ttdev.runs import results_dir_in, run_script


class RecordingSession:
    """Stands in for a nox session: records the commands it is asked to run."""

    def __init__(self):
        self.commands = []

    def run(self, *command, **kwargs):
        self.commands.append(list(command))


@pytest.fixture
def milestone(tmp_path):
    return SimpleNamespace(folder=tmp_path / "04_1998_cnn", name="04_1998_cnn", number=4,
                           slug="cnn", year=1998)


SCRIPT = SimpleNamespace(file="cifar.py", stem="cifar", args=("--declared",))


def test_without_a_user_results_dir_nox_passes_its_own(milestone, tmp_path, monkeypatch):
    monkeypatch.delenv("TT_RESULTS_DIR", raising=False)
    session = RecordingSession()
    run = run_script(session, milestone, SCRIPT, ["--quick"], tmp_path)
    command = session.commands[0]
    assert command[2:] == ["--declared", "--quick", "--results-dir",
                           str(tmp_path / "results" / "milestones")]
    assert run.results_file == tmp_path / "results" / "milestones" / "04_1998_cnn" / "cifar.json"


@pytest.mark.parametrize("given", [["--results-dir", "mine"], ["--results-dir=mine"]])
def test_the_users_results_dir_is_the_only_one_passed(milestone, tmp_path, given):
    session = RecordingSession()
    run = run_script(session, milestone, SCRIPT, ["--quick", *given], tmp_path)
    command = session.commands[0]
    assert command[2:] == ["--declared", "--quick", *given]  # nothing appended after it
    assert sum(arg.startswith("--results-dir") for arg in command) == 1
    assert run.results_file == Path("mine") / "04_1998_cnn" / "cifar.json"


def test_results_dir_in_reads_the_last_one_as_argparse_does():
    assert results_dir_in(["--quick"]) is None
    assert results_dir_in(["--results-dir"]) is None  # no value: the script's argparse says so
    assert results_dir_in(["--results-dir", "a", "--results-dir=b"]) == Path("b")
    assert results_dir_in(["--results-dir=a", "--seed", "1", "--results-dir", "c"]) == Path("c")
