"""Refresh the reference run the docs show until a machine has results of its own.

    python -m ttdev.reference_results [RESULTS_DIR]     (default: results/)

Copies, from a full run of ``nox -s milestones`` (and ``nox -s bench``), each
declared milestone script's report (``milestones/<milestone>/<script>.json``)
with the figures it lists, and ``bench/bench.json``, into
``docs/reference-results/``, and writes ``reference.json`` with the date and the
commit they were measured at. Quick runs are refused: the reference is a full run.
The copies drop the per-step curves and the transcript (the figures show them),
and, where Pillow is installed (it comes with matplotlib), the figures are stored
as 256-colour PNGs, so the shipped files stay small.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

from .specs import discover_milestones

ROOT = Path(__file__).resolve().parents[2]

TARGET = ROOT / "docs" / "reference-results"
DROPPED = ("curves", "argv")   # large or machine-specific; the figures carry the curves


def commit() -> str:
    done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip() or "unknown"


def copy_figure(source: Path, target: Path) -> None:
    """Copy a PNG, as a 256-colour palette image when Pillow is there (a third of the size)."""
    try:
        from PIL import Image
    except ImportError:
        shutil.copyfile(source, target)
        return
    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=256).save(target, optimize=True)


def copy_milestones(results: Path, target: Path) -> list[str]:
    copied = []
    for milestone in discover_milestones(ROOT / "milestones"):
        for script in milestone.default_scripts():
            source = results / "milestones" / milestone.name / f"{Path(script.file).stem}.json"
            if not source.is_file():
                continue
            report = json.loads(source.read_text())
            if report.get("quick"):
                raise SystemExit(f"{source} is a quick run: the reference is a full run "
                                 "(nox -s milestones, without --quick)")
            out = target / "milestones" / milestone.name
            out.mkdir(parents=True, exist_ok=True)
            for entry in report.get("figures") or []:
                copy_figure(source.parent / entry["file"], out / entry["file"])
            for key in DROPPED:
                report.pop(key, None)
            (out / source.name).write_text(json.dumps(report, indent=1) + "\n")
            copied.append(f"{milestone.name}/{source.name}")
    return copied


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ttdev.reference_results",
                                     description=__doc__.strip().splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=ROOT / "results",
                        metavar="RESULTS_DIR",
                        help="the results of full runs of nox -s milestones and nox -s bench "
                        "(default: results/)")
    results = parser.parse_args(argv).results
    if not results.is_dir():   # before the old reference is removed
        parser.error(f"{results} is not a folder; expected the results/ folder of full runs "
                     f"(milestones/<milestone>/<script>.json, bench/bench.json)")
    shutil.rmtree(TARGET, ignore_errors=True)
    copied = copy_milestones(results, TARGET)
    bench = results / "bench" / "bench.json"
    if bench.is_file():
        (TARGET / "bench").mkdir(parents=True)
        shutil.copyfile(bench, TARGET / "bench" / "bench.json")
        copied.append("bench/bench.json")
    info = {"date": dt.date.today().isoformat(), "commit": commit(),
            "what": "full runs of nox -s milestones and nox -s bench on a 2-core CI machine"}
    (TARGET / "reference.json").write_text(json.dumps(info, indent=1) + "\n")
    print(f"reference run {info['date']}, commit {info['commit']}: {len(copied)} reports "
          f"into {TARGET}")
    return 0 if copied else 1


if __name__ == "__main__":
    sys.exit(main())
