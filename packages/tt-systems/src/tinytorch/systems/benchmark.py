"""Benchmarking: time competing implementations of the same step, fairly.

A ``Case`` is one workload (say, an MLP training step) with one zero-argument
callable per implementation ("tinytorch", "numpy", "torch"). ``measure``
runs them *interleaved* in one process: warm-up calls first, then round after
round in which every implementation runs once, so that a slow moment of the
machine hits all of them alike. Each sample times enough calls to last a few
milliseconds, and the report gives the median per call, the spread (the
25th to 75th percentile) and each implementation's ratio to a baseline.

Pin BLAS to one thread before NumPy is imported (``OPENBLAS_NUM_THREADS=1``;
``nox -s bench`` does it): on a 2-core machine shared with other work, two
BLAS threads can be many times slower than one, and the numbers stop meaning
anything.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from tinytorch.tensor.io import atomic_write_text

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

MALLOC_VARIABLES = {"MALLOC_MMAP_THRESHOLD_": "268435456", "MALLOC_TRIM_THRESHOLD_": "1073741824"}
"""glibc settings that keep freed memory in the process between steps.

By default glibc returns large freed arrays to the system, so each training
step's activations start on fresh pages and pay thousands of page faults
(measured: ~6,650 per step of the two-conv CNN, ~20 ms of kernel time). With
these thresholds the memory is reused. They apply to everything in the
process, NumPy and PyTorch alike, and must be set before it starts;
``nox -s bench`` sets them and the report records them.
"""


@dataclass
class Case:
    """One workload, timed in several implementations.

    Args:
        name: what is measured, e.g. ``"MLP 784-128-64-10 train step, batch 64"``.
        steps: implementation name -> a zero-argument callable doing one step.
        baseline: the implementation ratios are taken against, when present.
        note: anything a reader needs to interpret the numbers.
    """

    name: str
    steps: dict[str, Callable[[], object]]
    baseline: str = "torch"
    note: str = ""


@dataclass
class Measurement:
    """The timings of one implementation of one case, in milliseconds per call."""

    case: str
    implementation: str
    median_ms: float
    p25_ms: float
    p75_ms: float
    samples: int
    calls_per_sample: int
    ratio: float | None = None  # median / the baseline's median
    baseline: str | None = None


@dataclass
class Report:
    environment: dict
    measurements: list[Measurement] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)


Clock = Callable[[], float]


def _time_calls(step: Callable[[], object], calls: int, clock: Clock = time.perf_counter) -> float:
    """Seconds per call, over ``calls`` back-to-back calls."""
    start = clock()
    for _ in range(calls):
        step()
    return (clock() - start) / calls


def _calls_per_sample(step: Callable[[], object], target_seconds: float, clock: Clock) -> int:
    """How many calls make one sample last about ``target_seconds``."""
    single = _time_calls(step, 1, clock)
    return max(1, min(1000, int(target_seconds / max(single, 1e-9))))


def measure_case(
    case: Case,
    repeats: int = 15,
    warmup: int = 3,
    sample_seconds: float = 0.02,
    clock: Clock = time.perf_counter,
) -> list[Measurement]:
    """Time every implementation of ``case``, interleaved round by round.

    ``clock`` returns seconds; tests pass a fake one to check the arithmetic exactly.
    """
    # BEGIN SOLUTION
    for step in case.steps.values():
        for _ in range(warmup):
            step()
    calls = {name: _calls_per_sample(s, sample_seconds, clock) for name, s in case.steps.items()}
    samples: dict[str, list[float]] = {name: [] for name in case.steps}
    for _ in range(repeats):
        for name, step in case.steps.items():
            samples[name].append(_time_calls(step, calls[name], clock) * 1e3)
    results = [_summarize(case.name, name, times, calls[name]) for name, times in samples.items()]
    return _with_ratios(results, case.baseline)
    # END SOLUTION


def _summarize(case: str, implementation: str, times_ms: list[float], calls: int) -> Measurement:
    quartiles = statistics.quantiles(times_ms, n=4) if len(times_ms) > 1 else [times_ms[0]] * 3
    return Measurement(
        case,
        implementation,
        statistics.median(times_ms),
        quartiles[0],
        quartiles[2],
        len(times_ms),
        calls,
    )


def _with_ratios(results: list[Measurement], baseline: str) -> list[Measurement]:
    """Ratios to ``baseline``, or to plain NumPy when the baseline did not run."""
    medians = {m.implementation: m.median_ms for m in results}
    reference = baseline if baseline in medians else "numpy" if "numpy" in medians else None
    for m in results:
        if reference is not None:
            m.ratio = m.median_ms / medians[reference]
            m.baseline = reference
    return results


def _package_versions() -> dict[str, str]:
    versions = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"] or ""
        if name.startswith("tt-") or name in ("numpy", "torch"):
            versions[name] = dist.version
    return dict(sorted(versions.items()))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    """The machine and versions the numbers were measured on."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "threads": {name: os.environ.get(name, "unset") for name in THREAD_VARIABLES},
        "malloc": {name: os.environ.get(name, "unset") for name in MALLOC_VARIABLES},
        "packages": _package_versions(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def single_thread_warning() -> str | None:
    """A warning when BLAS may use more than one thread."""
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        return (
            "OPENBLAS_NUM_THREADS is not 1: BLAS may use several threads "
            "and the timings will be noisy"
        )
    return None


def run(cases: Sequence[Case], repeats: int = 15, warmup: int = 3) -> Report:
    """Measure every case; record the environment and each case's note."""
    report = Report(environment())
    for case in cases:
        report.measurements.extend(measure_case(case, repeats=repeats, warmup=warmup))
        if case.note:
            report.notes[case.name] = case.note
    return report


def format_table(report: Report) -> str:
    """The report as a fixed-width table, one row per case and implementation."""
    header = f"{'case':<52} {'impl':<10} {'median ms':>10} {'p25-p75 ms':>17} {'ratio':>12}"
    lines = [header, "-" * len(header)]
    for m in report.measurements:
        spread = f"{m.p25_ms:.3f}-{m.p75_ms:.3f}"
        ratio = (
            f"{m.ratio:.2f}x {m.baseline}"
            if m.ratio is not None and m.implementation != m.baseline
            else ""
        )
        lines.append(
            f"{m.case[:52]:<52} {m.implementation:<10} {m.median_ms:>10.3f} "
            f"{spread:>17} {ratio:>12}"
        )
    return "\n".join(lines)


def write_json(report: Report, path: str | Path) -> Path:
    """Write the report as JSON (creating the folder) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "environment": report.environment,
        "notes": report.notes,
        "measurements": [asdict(m) for m in report.measurements],
    }
    return atomic_write_text(path, json.dumps(payload, indent=2) + "\n")
