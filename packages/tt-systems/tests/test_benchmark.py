"""The benchmark harness: medians, spread, ratios, interleaving, JSON and table."""

from __future__ import annotations

import json

import pytest
from tinytorch.systems import benchmark as B


class FakeClock:
    """A clock that moves only when a step says how long it took: exact, whatever the load."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def step_taking(self, seconds):
        def step():
            self.now += seconds

        return step


def test_measurements_have_medians_within_the_spread_and_ratios():
    clock = FakeClock()
    steps = {"numpy": clock.step_taking(0.002), "tinytorch": clock.step_taking(0.004)}
    case = B.Case("steps", steps, baseline="numpy")
    measured = B.measure_case(case, repeats=5, warmup=1, sample_seconds=0.005, clock=clock)
    results = {m.implementation: m for m in measured}
    for m in results.values():
        assert m.p25_ms <= m.median_ms <= m.p75_ms
        assert m.samples == 5
    assert results["numpy"].median_ms == pytest.approx(2.0)
    assert results["numpy"].calls_per_sample == 2  # 5 ms samples of 2 ms calls
    assert results["numpy"].ratio == pytest.approx(1.0)
    assert results["tinytorch"].ratio == pytest.approx(2.0)
    assert results["tinytorch"].baseline == "numpy"


def test_missing_baseline_falls_back_to_numpy_then_none():
    case = B.Case("x", {"numpy": lambda: None, "tinytorch": lambda: None}, baseline="torch")
    assert all(m.baseline == "numpy" for m in B.measure_case(case, repeats=3, warmup=1))
    alone = B.Case("y", {"tinytorch": lambda: None}, baseline="torch")
    assert B.measure_case(alone, repeats=3, warmup=1)[0].ratio is None


def test_implementations_run_interleaved():
    order = []
    case = B.Case("order", {"a": lambda: order.append("a"), "b": lambda: order.append("b")})
    B.measure_case(case, repeats=3, warmup=0, sample_seconds=0)
    timed = order[2:]  # after the one call each that sizes the samples
    assert timed == ["a", "b"] * 3


def test_median_is_robust_to_one_slow_sample():
    clock = FakeClock()
    durations = iter([0.001] * 6 + [0.5] + [0.001] * 10)

    def step():
        clock.now += next(durations)

    (m,) = B.measure_case(
        B.Case("spike", {"numpy": step}), repeats=7, warmup=1, sample_seconds=0, clock=clock
    )
    assert m.median_ms == pytest.approx(1.0)
    assert m.p75_ms < 500


def test_run_records_environment_and_notes_and_writes_json(tmp_path):
    case = B.Case("noop", {"numpy": lambda: None}, note="nothing at all")
    report = B.run([case], repeats=3, warmup=1)
    assert report.environment["cores"] >= 1 and "packages" in report.environment
    assert report.notes == {"noop": "nothing at all"}
    path = B.write_json(report, tmp_path / "deep" / "bench.json")
    data = json.loads(path.read_text())
    assert data["measurements"][0]["case"] == "noop"
    assert data["measurements"][0]["median_ms"] >= 0
    table = B.format_table(report)
    assert "noop" in table and "median ms" in table


def test_single_thread_warning(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert B.single_thread_warning() is None
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    assert "OPENBLAS_NUM_THREADS" in B.single_thread_warning()
