"""Run every benchmark beside this file: ``nox -s bench`` (or ``python benchmarks/run.py``).

Each ``bench_<topic>.py`` defines ``cases()``; a file whose packages are not
installed is reported and skipped. The table is printed and the report is
written to ``results/bench/bench.json``.

Options: ``-k WORD`` keeps cases whose name contains WORD; ``--repeats N``;
``--out PATH``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # before NumPy is imported anywhere

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import format_table, run, single_thread_warning, write_json  # noqa: E402


def _torch_single_thread() -> str:
    try:
        import torch
    except ImportError:
        return (
            "PyTorch is not installed: ratios are to plain NumPy "
            "(pip install torch==2.13.0 for the CPU build)"
        )
    torch.set_num_threads(1)
    return f"PyTorch {torch.__version__}, 1 thread"


def collect_cases(keyword: str | None):
    cases = []
    for path in sorted(HERE.glob("bench_*.py")):
        try:
            module = importlib.import_module(path.stem)
        except ImportError as error:
            print(f"skipping {path.name}: {error}")
            continue
        cases.extend(
            c for c in module.cases() if keyword is None or keyword.lower() in c.name.lower()
        )
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-k", dest="keyword", default=None, help="only cases whose name contains this"
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument(
        "--out", type=Path, default=HERE.parent / "results" / "bench" / "bench.json"
    )
    args = parser.parse_args(argv)
    print(_torch_single_thread())
    warning = single_thread_warning()
    if warning:
        print("warning:", warning)
    cases = collect_cases(args.keyword)
    if not cases:
        print("no benchmark cases found")
        return 1
    report = run(cases, repeats=args.repeats)
    print(format_table(report))
    for name, note in report.notes.items():
        print(f"note: {name}: {note}")
    print(f"written: {write_json(report, args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
