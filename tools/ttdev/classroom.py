"""The two GitHub Actions workflows of a class, rendered from Jinja templates and tested.

- **The student's** (``.github/workflows/classroom.yml``, in this tree and so in every
  starter): feedback on every push from the student's own chain: one job per package
  (its tests on the student's packages) and one per milestone (``--quick``). It holds no
  reference and fetches none: nothing in a student repository reaches solution code.
- **The instructor's** (``nox -s grading_repo -- DIR --roster roster.csv``): written into
  a private grading repository (a private copy of this reference tree). Its ``plan`` job
  reads the roster, ``wheelhouse`` builds the reference wheelhouse (kept as a private
  artifact), a matrix job grades each student repository against it, and ``class``
  merges every student's report into one class report (``nox -s merge_grades``).

The job lists come from the tree and the roster when the workflows run::

    python -m ttdev.classroom >> "$GITHUB_OUTPUT"          # packages=[...], milestones=[...]
    python -m ttdev.classroom roster roster.csv >> "$GITHUB_OUTPUT"   # students=[...]

(after ``pip install -e ./tools``: the tools package, from this tree).

The templates are ``templates/workflows/student.yml`` and ``grading.yml``; both extend
``base.yml``. After editing one, regenerate the committed student workflow::

    python -c "from ttdev.classroom import *; STUDENT_WORKFLOW.write_text(student_workflow())"

The roster is a CSV file with a header: ``student,repository`` and an optional ``ref``
(``alice,my-org/tinytorch-alice,main``).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import sys
from pathlib import Path

from .graph import read_tree
from .templating import workflow_environment

ROOT = Path(__file__).resolve().parents[2]
STUDENT_WORKFLOW = Path(".github/workflows/classroom.yml")
GRADING_WORKFLOW = Path(".github/workflows/grade.yml")
ROSTER = "roster.csv"
STUDENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
REPOSITORY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")


class RosterError(ValueError):
    """The roster is missing, malformed, or names a student twice."""


def plan(root: Path = ROOT) -> dict[str, list[str]]:
    """Every package, and every milestone whose packages are all in the tree."""
    tree = read_tree(root)
    return {"packages": list(tree.packages),
            "milestones": [m.session for m in tree.milestones if tree.runnable(m)]}


def read_roster(path: Path) -> list[dict[str, str]]:
    """The roster's students: ``{"student", "repository", "ref"}`` each, in file order."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise RosterError(f"{path} cannot be read: {error}") from error
    students, seen = [], set()
    for number, row in enumerate(rows, start=2):
        name = (row.get("student") or "").strip()
        repository = (row.get("repository") or "").strip()
        if not STUDENT_NAME.match(name) or not REPOSITORY.match(repository):
            raise RosterError(f"{path} line {number}: expected student,repository[,ref] "
                              f"(a name of letters, digits, '.', '_' or '-', and owner/name), "
                              f"found {name!r}, {repository!r}")
        if name in seen:
            raise RosterError(f"{path} line {number}: {name} is in the roster twice")
        seen.add(name)
        students.append({"student": name, "repository": repository,
                         "ref": (row.get("ref") or "").strip()})
    if not students:
        raise RosterError(f"{path} lists no students (header: student,repository,ref)")
    return students


def render_workflow(name: str) -> str:
    """``templates/workflows/<name>``: both workflows extend ``base.yml`` (header,
    permissions, environment) and start their jobs with the steps in ``steps/``."""
    return workflow_environment().get_template(name).render()


def student_workflow() -> str:
    """The student repository's workflow: the student's own chain, no reference."""
    return render_workflow("student.yml")


def grading_workflow() -> str:
    """The private grading repository's workflow: a matrix over the roster, then a merge."""
    return render_workflow("grading.yml")


def write_grading_repo(dest: Path, roster: Path) -> list[Path]:
    """Write the grading workflow and a checked copy of ``roster`` into ``dest`` (a private
    copy of the reference tree); the files written."""
    students = read_roster(roster)
    workflow = dest / GRADING_WORKFLOW
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(grading_workflow(), encoding="utf-8")
    copied = dest / ROSTER
    if roster.resolve() != copied.resolve():
        shutil.copyfile(roster, copied)
    print(f"{len(students)} students in {copied}", file=sys.stderr)
    return [workflow, copied]


def parser() -> argparse.ArgumentParser:
    """``python -m ttdev.classroom`` (the plan of the tree) or ``... roster FILE``."""
    parsed = argparse.ArgumentParser(
        prog="python -m ttdev.classroom", description="Print key=<json list> lines, the format of "
        "$GITHUB_OUTPUT: the packages and milestones of this tree, or a roster's students.")
    commands = parsed.add_subparsers(dest="command", metavar="roster FILE")
    roster = commands.add_parser("roster", help="the students of a roster (student,repository"
                                 "[,ref] per line)")
    roster.add_argument("file", type=Path, metavar="FILE")
    return parsed


def main(argv: list[str] | None = None) -> int:
    """Print ``key=<json list>`` lines, the format of ``$GITHUB_OUTPUT``: the plan of the
    tree, or with ``roster FILE`` the students of a roster. Bad arguments exit 2 (usage)."""
    args = parser().parse_args(argv)
    if args.command == "roster":
        try:
            print(f"students={json.dumps(read_roster(args.file))}")
        except RosterError as error:
            print(f"classroom.py: {error}", file=sys.stderr)
            return 2
        return 0
    for key, values in plan().items():
        print(f"{key}={json.dumps(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
