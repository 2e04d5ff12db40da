"""The task table at the top of each package guide, written into the raw Markdown.

``docs/packages/<pkg>.md`` starts (after its title) with the package's numbered task table,
generated from ``tasks.toml`` (``docs_render.task_table``) between two markers:

    <!-- tasks: begin -->
    ## Your tasks, in order
    ...
    <!-- tasks: end -->

so a student reading the guide in the starter, on GitHub or in an editor sees the same list
the site shows (the docs hook leaves a guide that has the markers alone). Each task also has
a section heading that carries its number and slug, ``### Task 3 "linear": ...``, the words
a stub's message uses (``tt-nn task 3 "linear" (The Linear layer's backward)``), so a search
for them lands on the task's hints.

``python -m ttdev.guide_tasks`` (``nox -s task_tables``) rewrites the tables; ``--check``
(and ``nox -s lint``, through ``guide_problems``) fails when one is stale or missing, or a
task has no heading.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ttdev.docs_model import function_files, package_tasks, read_milestones, read_packages
from ttdev.docs_render import task_table
from ttdev.graph import Package

BEGIN = "<!-- tasks: begin -->"
END = "<!-- tasks: end -->"
BLOCK = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.DOTALL)
HEADING = re.compile(r'^#{2,6} Task (\d+) "([^"]+)"', re.MULTILINE)
REGENERATE = "nox -s task_tables (or python -m ttdev.guide_tasks)"


def guide_path(root: Path, package: str) -> Path:
    return root / "docs" / "packages" / f"{package}.md"


def table_block(pkg: Package, milestones) -> str:
    """The marked block of one package's guide ("" when it has no task list)."""
    table = task_table(pkg, package_tasks(pkg), function_files(pkg), milestones)
    return f"{BEGIN}\n{table}{END}\n" if table else ""


def with_block(markdown: str, block: str) -> str:
    """``markdown`` with its marked block replaced by ``block``, or ``block`` put right after
    the title (the first line, when it is a ``# `` heading)."""
    if BLOCK.search(markdown):
        return BLOCK.sub(lambda _: block, markdown, count=1)
    head, sep, tail = markdown.partition("\n")
    if head.startswith("# "):
        return f"{head}\n\n{block}\n{tail.lstrip(chr(10))}" if block else markdown
    return f"{block}\n{markdown}" if block else markdown


def heading_problems(path: Path, markdown: str, tasks) -> list[str]:
    """Tasks without a ``Task N "slug"`` heading, and such headings naming no task (a
    renumbered or renamed task leaves them behind)."""
    found = [(int(number), slug) for number, slug in HEADING.findall(markdown)]
    wanted = [(t.number, t.name) for t in tasks]
    problems = [f'{path}: task {n} "{slug}" has no section heading; write one that starts '
                f'with `Task {n} "{slug}"` (e.g. `### Task {n} "{slug}": ...`) where its '
                "hints are" for n, slug in wanted if (n, slug) not in found]
    problems += [f'{path}: the heading `Task {n} "{slug}"` names no task of tasks.toml '
                 f"(the tasks are {', '.join(f'{m} {s}' for m, s in wanted)})"
                 for n, slug in found if (n, slug) not in wanted]
    problems += [f'{path}: task {n} "{slug}" has {found.count((n, slug))} headings; keep one'
                 for n, slug in sorted(set(found)) if found.count((n, slug)) > 1]
    return problems


def guide_problems(root: Path) -> list[str]:
    """Guides whose task table is stale or missing, or whose tasks lack their heading."""
    milestones = read_milestones(root)
    problems = []
    for pkg in read_packages(root):
        tasks, path = package_tasks(pkg), guide_path(root, pkg.name)
        if not tasks:
            continue
        if not path.is_file():
            problems.append(f"{path} is missing: {pkg.name} has a task list to show")
            continue
        markdown = path.read_text(encoding="utf-8")
        if with_block(markdown, table_block(pkg, milestones)) != markdown:
            state = "is stale" if BEGIN in markdown else "is missing"
            problems.append(f"{path}: the task table {state} (from {pkg.name}'s tasks.toml); "
                            f"regenerate it with {REGENERATE}")
        problems += heading_problems(path, markdown, tasks)
    return problems


def write_guides(root: Path) -> list[Path]:
    """Rewrite every guide's task table; the guides that changed."""
    milestones, changed = read_milestones(root), []
    for pkg in read_packages(root):
        path = guide_path(root, pkg.name)
        if not path.is_file():
            continue
        markdown = path.read_text(encoding="utf-8")
        new = with_block(markdown, table_block(pkg, milestones))
        if new != markdown:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ttdev.guide_tasks",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming the stale tables and missing headings")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.check:
        problems = guide_problems(root)
        print("\n".join(problems) or "every guide's task table is current")
        return 1 if problems else 0
    changed = write_guides(root)
    print("\n".join(f"rewrote the task table of {p}" for p in changed)
          or "every guide's task table was current")
    problems = guide_problems(root)   # the tables are current now: headings, missing guides
    print("\n".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
