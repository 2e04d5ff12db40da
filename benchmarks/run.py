"""Run every benchmark beside this file: ``nox -s bench`` (or ``python benchmarks/run.py``).

Each ``bench_<topic>.py`` defines ``cases()``; a file whose packages are not
installed, or still stubs (a starter: ``cases()`` raises NotImplementedError
while it builds and checks its steps), is reported and skipped. The table is
printed and the report is written to ``results/bench/bench.json``.

Options: ``-k WORD`` keeps cases whose name contains WORD; ``--repeats N``;
``--out PATH``; ``--threads N`` (BLAS and PyTorch threads, default 1: see
``threads.py``); ``--default-allocator`` (otherwise glibc's malloc keeps freed
large blocks for reuse, as ``nox -s bench`` asks in the environment, also when
run directly: ``acceleration.keep_freed_memory``; PyTorch's rows get it too).
Cases whose module gives their work in ``FLOPS`` also get their achieved
GFLOP/s, next to the float32 matmul ceiling of ``bench_matmul`` measured in
the same run.

The clock: at one thread, each sample is the CPU time of the benchmarking
thread (``time.thread_time``), which the other work on shared cores does not
inflate (BLAS and PyTorch at one thread compute on the calling thread); with
``--threads N`` above 1 it is wall time, since worker threads do part of the work.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

# A script's own folder is first on sys.path (`python benchmarks/run.py`): the bench_*.py
# modules and threads.py beside this file import by name.
import threads  # imports no NumPy: it pins the BLAS threads first

HERE = Path(__file__).resolve().parent


def _torch_version() -> str:
    try:
        import torch
    except ImportError:
        return (
            "PyTorch is not installed: ratios are to plain NumPy "
            "(pip install torch==2.13.0 for the CPU build)"
        )
    return f"PyTorch {torch.__version__}"


def collect_cases(keyword: str | None):
    """The selected cases, and the FLOPS of every case that declares them."""
    cases, flops = [], {}
    for path in sorted(HERE.glob("bench_*.py")):
        try:
            module = importlib.import_module(path.stem)
        except ImportError as error:
            print(f"skipping {path.name}: {error}")
            continue
        try:
            built = module.cases()
        except NotImplementedError as error:  # a starter: a package it needs is still a stub
            print(f"skipping {path.name}: not implemented yet in this tree "
                  f"({str(error).splitlines()[0] if str(error) else 'a stub'})")
            continue
        chosen = [c for c in built if keyword is None or keyword.lower() in c.name.lower()]
        cases.extend(chosen)
        flops.update(getattr(module, "FLOPS", {}))
    return cases, flops


def achieved_gflops(report, flops: dict, ceiling_name: str) -> list[str]:
    """One line per case with declared work: GFLOP/s per implementation, and the ceiling's."""
    rates: dict[str, dict[str, float]] = {}
    for m in report.measurements:
        if m.case in flops:
            rates.setdefault(m.case, {})[m.implementation] = flops[m.case] / m.median_ms / 1e6
    ceiling = rates.get(ceiling_name, {}).get("numpy")
    lines = []
    for case, by_impl in rates.items():
        if case == ceiling_name:
            continue
        text = ", ".join(f"{impl} {rate:.1f}" for impl, rate in by_impl.items())
        if ceiling:
            best = max(by_impl.values())
            text += f" (best {best / ceiling:.0%} of the {ceiling:.1f} GFLOP/s matmul ceiling)"
        report.notes[case] = f"{report.notes.get(case, '')} | GFLOP/s: {text}".lstrip(" |")
        lines.append(f"GFLOP/s: {case[:60]}: {text}")
    if ceiling:
        lines.insert(0, f"GFLOP/s ceiling (float32 matmul, this run): numpy {ceiling:.1f}"
                     + "".join(f", {impl} {rate:.1f}" for impl, rate
                               in rates[ceiling_name].items() if impl != "numpy"))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-k", dest="keyword", default=None, help="only cases whose name contains this"
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS and PyTorch threads (default 1: cores are shared)")
    parser.add_argument(
        "--out", type=Path, default=HERE.parent / "results" / "bench" / "bench.json"
    )
    parser.add_argument("--default-allocator", action="store_true",
                        help="do not call keep_freed_memory (MALLOC_* variables still apply)")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    threads.pin(args.threads)  # before harness (and so NumPy) is imported
    from harness import format_table, write_json
    from tinytorch.systems.benchmark import Report, environment, measure_case

    print(_torch_version())
    print(f"threads: {threads.reason(args.threads)}")
    if args.default_allocator:
        allocator = "allocator: not changed in-process (--default-allocator)"
    else:
        from tinytorch.systems.acceleration import keep_freed_memory

        allocator = keep_freed_memory()
    print(allocator)
    cases, flops = collect_cases(args.keyword)
    if not cases:
        print("no benchmark cases found")
        return 1
    from bench_matmul import CEILING_NAME
    from bench_matmul import cases as ceiling_cases

    if any(c.name in flops for c in cases) and CEILING_NAME not in [c.name for c in cases]:
        cases = ceiling_cases() + cases  # the ceiling, measured in the same run
    print(f"threads in force: {threads.in_force(args.threads)}")
    clock, clock_name = ((time.thread_time, "CPU time of this thread") if args.threads == 1
                         else (time.perf_counter, "wall time"))
    print(f"clock: {clock_name}")
    report = Report(environment())
    for case in cases:
        report.measurements.extend(measure_case(case, repeats=args.repeats, clock=clock))
        if case.note:
            report.notes[case.name] = case.note
    report.environment["clock"] = clock_name
    report.environment["threads_chosen"] = args.threads
    report.environment["threads_in_force"] = threads.in_force(args.threads)
    report.environment["allocator"] = allocator
    print(format_table(report))
    for line in achieved_gflops(report, flops, CEILING_NAME):
        print(line)
    for name, note in report.notes.items():
        print(f"note: {name}: {note}")
    print(f"written: {write_json(report, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
