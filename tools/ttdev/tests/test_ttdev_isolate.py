"""isolate's reasoning, with a fake run: broken packages, a reference that fails, pairs."""

from pathlib import Path

import pytest

from ttdev import isolate as isolating
from ttdev.sandbox import Outcome, Target

NAMES = ["tt-tensor", "tt-autograd", "tt-nn"]
TARGET = Target("package", "tt-nn", ("tt-nn",))


def runner(monkeypatch, fails) -> isolating.Runner:
    """A Runner whose runs fail when ``fails(set of student packages)`` says so."""
    student = {n: Path(f"student/{n}.whl") for n in NAMES}
    reference = {n: Path(f"reference/{n}.whl") for n in NAMES}

    def fake_run(target, wheels, workdir, timeout):
        mine = {w.stem for w in wheels if w.parent.name == "student"}
        return Outcome("fail", ("test_x",)) if fails(mine) else Outcome("pass")

    monkeypatch.setattr(isolating, "run_target", fake_run)
    return isolating.Runner(TARGET, NAMES, student, reference, Path("/tmp"), 10, log=lambda _: None)


def test_several_broken_packages_are_found_in_one_run(monkeypatch):
    broken = {"tt-autograd", "tt-nn"}
    result = isolating.isolate(runner(monkeypatch, lambda mine: bool(mine & broken)))
    assert result.broken == ["tt-autograd", "tt-nn"] and not result.clean
    assert "with tt-autograd, tt-nn from the reference, the student's tree passes" in result.verdict


def test_a_failing_reference_stops_the_search(monkeypatch):
    result = isolating.isolate(runner(monkeypatch, lambda mine: True))
    assert len(result.steps) == 1 and "reference" in result.verdict


def test_a_failure_of_two_packages_together_finds_the_pair(monkeypatch):
    result = isolating.isolate(runner(monkeypatch, lambda mine: {"tt-tensor", "tt-nn"} <= mine))
    assert "only with several student packages together" in result.verdict
    assert result.broken == ["tt-tensor", "tt-nn"]


@pytest.mark.parametrize("unbuilt", ["does not build: syntax error"])
def test_a_package_that_does_not_build_fails_its_runs(monkeypatch, unbuilt):
    run = runner(monkeypatch, lambda mine: False)
    run.student = {**run.student, "tt-nn": unbuilt}
    result = isolating.isolate(run)
    assert result.broken == ["tt-nn"]
    assert unbuilt in format_text(result)


def format_text(result) -> str:
    return isolating.format_isolation(result)


def test_a_package_that_hangs_costs_one_timeout(monkeypatch):
    runs = []
    student = {n: Path(f"student/{n}.whl") for n in NAMES}
    reference = {n: Path(f"reference/{n}.whl") for n in NAMES}

    def fake_run(target, wheels, workdir, timeout):
        mine = {w.stem for w in wheels if w.parent.name == "student"}
        runs.append(mine)
        return Outcome("timeout", ("test tests/test_a.py::test_b did not finish",)) \
            if "tt-autograd" in mine else Outcome("pass")

    monkeypatch.setattr(isolating, "run_target", fake_run)
    result = isolating.isolate(isolating.Runner(TARGET, NAMES, student, reference, Path("/tmp"),
                                                10, log=lambda _: None))
    assert result.broken == ["tt-autograd"]
    assert sum("tt-autograd" in mine for mine in runs) == 1      # timed out once, not twice
    everything = next(s for s in result.steps if s.label == "all from the student")
    assert everything.outcome.status == "timeout"
    assert "not run: tt-autograd" in everything.outcome.details[0]
