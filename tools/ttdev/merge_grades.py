"""Merge many ``grade`` reports (one per student, or per batch) into one class report.

    python -m ttdev.merge_grades --out results/class  reports/*/grades.json
    nox -s merge_grades -- reports/* --out results/class

Each input is a ``grades.json`` or ``grades.csv`` file, or a folder holding one (the JSON
is preferred: it also records the reference and the sandbox). The class report, in
``--out``:

- ``grades.csv``: every run of every student (the columns of ``grade``'s own CSV);
- ``grades.json``: the students, with each input's reference, sandbox and date;
- ``summary.csv``: one line per student: commit, score, packages and milestones passed.

A student found in two inputs is an error naming both (a regrade replaces a file, it is
not merged into the old one); inputs graded against different reference versions are
reported in ``grades.json`` under ``warnings``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .files import replace_text
from .grade import CSV_FIELDS

SUMMARY_FIELDS = ["student", "commit", "score", "packages_passed", "packages",
                  "milestones_passed", "milestones", "not_passing"]


class MergeError(ValueError):
    """An input is missing, unreadable, or grades a student another input grades too."""


def report_file(path: Path) -> Path:
    """The report an input names: the file itself, or a folder's grades.json / grades.csv."""
    if path.is_dir():
        for name in ("grades.json", "grades.csv"):
            if (path / name).is_file():
                return path / name
        raise MergeError(f"{path} holds neither grades.json nor grades.csv")
    if not path.is_file():
        raise MergeError(f"{path} does not exist")
    return path


def rows_from_json(report: dict) -> list[dict]:
    """The CSV rows a ``grades.json`` report stands for."""
    rows = []
    for student, entry in report.get("students", {}).items():
        base = {"student": student, "commit": entry.get("commit", "")}
        if entry.get("tree"):
            rows.append({**base, "kind": "tree", "target": entry["tree"].get("target", ""),
                         **entry["tree"]})
        for kind in ("package", "milestone"):
            for target, record in entry.get(f"{kind}s", {}).items():
                rows.append({**base, "kind": kind, "target": target, **record})
    return rows


def read_input(path: Path) -> tuple[list[dict], dict]:
    """(rows, what the input says about itself) of one input."""
    file = report_file(path)
    try:
        if file.suffix == ".json":
            report = json.loads(file.read_text(encoding="utf-8"))
            meta = {k: report.get(k) for k in ("generated", "sandbox", "reference")}
            return rows_from_json(report), {"file": str(file), **meta}
        with file.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle)), {"file": str(file)}
    except (OSError, ValueError, csv.Error) as error:
        raise MergeError(f"{file} cannot be read: {error}") from error


def merge(paths: Sequence[Path]) -> tuple[list[dict], list[dict]]:
    """Every input's rows (students in input order) and the inputs' descriptions."""
    rows, sources, owner = [], [], {}
    for path in paths:
        found, meta = read_input(path)
        for student in dict.fromkeys(row["student"] for row in found):
            if student in owner:
                raise MergeError(f"{student} is graded in both {owner[student]} and "
                                 f"{meta['file']}: keep one report per student")
            owner[student] = meta["file"]
        rows += found
        sources.append(meta)
    return rows, sources


def _number(value, kind=float):
    try:
        return kind(value)
    except (TypeError, ValueError):
        return kind(0)


def summary(rows: Sequence[dict]) -> list[dict]:
    """One line per student: the mean score of their package and milestone rows, counts."""
    lines = []
    for student in dict.fromkeys(row["student"] for row in rows):
        mine = [r for r in rows if r["student"] == student and r["kind"] != "tree"]
        packages = [r for r in mine if r["kind"] == "package"]
        stones = [r for r in mine if r["kind"] == "milestone"]
        scores = [_number(r.get("score")) for r in mine]
        lines.append({
            "student": student,
            "commit": next((r.get("commit", "") for r in rows if r["student"] == student), ""),
            "score": round(sum(scores) / len(scores), 1) if scores else 0.0,
            "packages_passed": sum(r["status"] == "pass" for r in packages),
            "packages": len(packages),
            "milestones_passed": sum(r["status"] == "pass" for r in stones),
            "milestones": len(stones),
            "not_passing": ", ".join(f"{r['target']} ({r['status']})" for r in mine
                                     if r["status"] != "pass"),
        })
    return lines


def reference_warnings(sources: Sequence[dict]) -> list[str]:
    """Inputs graded against different reference versions of a package."""
    seen: dict[str, dict[str, list[str]]] = {}
    for source in sources:
        versions = (source.get("reference") or {}).get("versions", {})
        for name, version in versions.items():
            seen.setdefault(name, {}).setdefault(version, []).append(source["file"])
    return [f"{name} was graded at several versions: " + "; ".join(
                f"{version} in {len(files)} report(s)" for version, files in by.items())
            for name, by in seen.items() if len(by) > 1]


def _csv(records: Sequence[dict], fields: Sequence[str]) -> str:
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=list(fields), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(records)
    return table.getvalue()


def write_class_report(paths: Sequence[Path], out: Path) -> list[dict]:
    """Merge ``paths`` into ``out`` (grades.csv, grades.json, summary.csv); the summary."""
    rows, sources = merge(paths)
    lines = summary(rows)
    out.mkdir(parents=True, exist_ok=True)
    replace_text(out / "grades.csv", _csv(rows, CSV_FIELDS))
    replace_text(out / "summary.csv", _csv(lines, SUMMARY_FIELDS))
    students = {line["student"]: {**line, "runs": [r for r in rows
                                                   if r["student"] == line["student"]]}
                for line in lines}
    report = {"generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "sources": sources, "warnings": reference_warnings(sources),
              "students": students}
    replace_text(out / "grades.json", json.dumps(report, indent=2) + "\n")
    return lines


def format_summary(lines: Sequence[dict]) -> str:
    """The class at a glance: one line per student."""
    return "\n".join(
        f"{line['student']:<24} score {line['score']:>5.1f}  packages "
        f"{line['packages_passed']}/{line['packages']}  milestones "
        f"{line['milestones_passed']}/{line['milestones']}"
        + (f"  not passing: {line['not_passing']}" if line["not_passing"] else "")
        for line in lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="merge_grades", description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", type=Path,
                        help="grades.json / grades.csv files, or folders holding one")
    parser.add_argument("--out", type=Path, default=Path("results/class"),
                        help="where the class report goes (default results/class)")
    args = parser.parse_args(argv)
    try:
        lines = write_class_report(args.inputs, args.out)
    except MergeError as error:
        print(f"merge_grades: {error}", file=sys.stderr)
        return 2
    print(format_summary(lines))
    print(f"class report: {args.out / 'grades.csv'}, {args.out / 'grades.json'}, "
          f"{args.out / 'summary.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
