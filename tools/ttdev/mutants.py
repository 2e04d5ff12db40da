"""Mutation testing of the solution regions: do a package's tests catch a student's mistakes?

``nox -s mutants -- [PACKAGE...]`` plants one realistic mistake at a time inside a
``# BEGIN SOLUTION`` ... ``# END SOLUTION`` region of ``packages/<pkg>/src`` (``+`` for ``-``,
a flipped comparison, an off-by-one constant, a dropped ``axis=``/``keepdims=``, swapped
arguments, a dropped statement, ``return None``, ``.sum`` for ``.mean`` ...), runs that
package's own tests against the mutated copy, and reports the mutants that survive.

Maintained tools (mutmut, cosmic-ray, mutatest) mutate whole files or functions and select by
file or pragma, not by line range, so this module is a small AST-based mutator instead. Each
mutation rewrites only the source text of one node (its exact span), so the rest of the file,
comments included, is untouched. Standard library only; run as
``python -m ttdev.mutants --root ROOT PACKAGE...`` with ``tools/`` on the path.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ttdev.files import replace_text
from ttdev.graph import GraphError, read_tree
from ttdev.map_report import cut
from ttdev.specs import SpecError
from ttdev.starter import find_regions

SWAPPED_OPERATORS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult,
                     ast.FloorDiv: ast.Div, ast.Pow: ast.Mult, ast.MatMult: ast.Mult}
FLIPPED_COMPARISONS = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
                       ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot,
                       ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}
SWAPPED_METHODS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max",
                   "argmax": "argmin", "argmin": "argmax", "exp": "log", "log": "exp",
                   "maximum": "minimum", "minimum": "maximum", "zeros": "ones", "ones": "zeros",
                   "zeros_like": "ones_like", "ones_like": "zeros_like"}
DROPPABLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.If, ast.For)
NO_TOUCH = (ast.JoinedStr, ast.FormattedValue)   # f-strings: rewriting their parts breaks them


@dataclass(frozen=True)
class Mutant:
    """One planted mistake: where (file, function, line) and the text that replaces a span."""

    file: str          # relative to the package folder
    function: str
    line: int          # 1-based
    description: str
    start: int         # byte offsets of the replaced span in the file
    stop: int
    replacement: str

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement.encode() + source[self.stop :]


@dataclass
class PackageReport:
    package: str
    generated: int = 0
    killed: int = 0
    survived: int = 0
    timed_out: int = 0
    survivors: list[dict] = field(default_factory=list)

    @property
    def score(self) -> float:
        """Share of the run mutants the tests caught (a timeout counts as caught)."""
        run = self.killed + self.survived + self.timed_out
        return (self.killed + self.timed_out) / run if run else 1.0


# -- generating mutants ------------------------------------------------------------------


def region_mutants(path: Path, relative: str) -> list[list[Mutant]]:
    """The mutants of each solution region of one file, one list per region."""
    source = path.read_bytes()
    text = source.decode("utf-8")
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    offsets = _line_offsets(source)
    functions = _enclosing_functions(tree)
    untouchable = {id(n) for f in ast.walk(tree) if isinstance(f, NO_TOUCH) for n in ast.walk(f)}
    parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    per_region = []
    for region in find_regions([line.rstrip("\r\n") for line in lines], relative):
        first, last = region.begin + 2, region.end   # 1-based lines strictly inside the markers
        found = []
        for node in ast.walk(tree):
            if id(node) in untouchable or not hasattr(node, "lineno"):
                continue
            if not (first <= node.lineno and node.end_lineno <= last):
                continue
            start = offsets[node.lineno - 1] + node.col_offset
            stop = offsets[node.end_lineno - 1] + node.end_col_offset
            for description, replacement in mutations_of(node):
                if isinstance(node, ast.Constant) and id(node) in parents:  # say where it is
                    description += f" in {_short(ast.unparse(parents[id(node)]), 50)}"
                found.append(Mutant(relative, functions.get(node.lineno, "<module>"),
                                    node.lineno, description, start, stop, replacement))
        found.sort(key=lambda m: (m.start, -m.stop))
        per_region.append([m for m in found if _compiles(m.apply(source))])
    return per_region


def mutations_of(node: ast.AST) -> list[tuple[str, str]]:
    """(description, replacement source) for every realistic mistake at one node."""
    found = []
    if isinstance(node, ast.BinOp) and type(node.op) in SWAPPED_OPERATORS:
        mutated = ast.BinOp(node.left, SWAPPED_OPERATORS[type(node.op)](), node.right)
        found.append(_expr_change(node, mutated))
    elif isinstance(node, ast.AugAssign) and type(node.op) in SWAPPED_OPERATORS:
        mutated = ast.AugAssign(node.target, SWAPPED_OPERATORS[type(node.op)](), node.value)
        found.append(_change(node, ast.unparse(mutated)))
    elif isinstance(node, ast.Compare) and type(node.ops[0]) in FLIPPED_COMPARISONS:
        ops = [FLIPPED_COMPARISONS[type(node.ops[0])](), *node.ops[1:]]
        found.append(_expr_change(node, ast.Compare(node.left, ops, node.comparators)))
    elif isinstance(node, ast.BoolOp):
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        found.append(_expr_change(node, ast.BoolOp(other, node.values)))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Not)):
        found.append(_expr_change(node, node.operand))
    elif _is_number(node):
        for value in (node.value + 1, node.value - 1) if node.value != 0 else (1,):
            found.append(_expr_change(node, ast.Constant(value)))
    elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
        found.append(_expr_change(node, ast.Constant(not node.value)))
    elif isinstance(node, ast.Call):
        found += _call_mutations(node)
    if isinstance(node, ast.Return) and node.value is not None \
            and not (isinstance(node.value, ast.Constant) and node.value.value is None):
        found.append(_change(node, "return None"))   # (return None itself: no mistake to plant)
    elif isinstance(node, DROPPABLE):
        found.append(("drop the statement " + _short(ast.unparse(node)), "pass"))
    return found


def _call_mutations(node: ast.Call) -> list[tuple[str, str]]:
    found = []
    keep = [k for k in node.keywords if k.arg in ("axis", "keepdims", "dim", "keepdim")]
    for dropped in keep:
        rest = [k for k in node.keywords if k is not dropped]
        found.append(_expr_change(node, ast.Call(node.func, node.args, rest)))
    if len(node.args) >= 2 and not any(isinstance(a, ast.Starred) for a in node.args[:2]):
        swapped = [node.args[1], node.args[0], *node.args[2:]]
        found.append(_expr_change(node, ast.Call(node.func, swapped, node.keywords)))
    if isinstance(node.func, ast.Attribute) and node.func.attr in SWAPPED_METHODS:
        func = ast.Attribute(node.func.value, SWAPPED_METHODS[node.func.attr], ast.Load())
        found.append(_expr_change(node, ast.Call(func, node.args, node.keywords)))
    return found


def _expr_change(node: ast.expr, mutated: ast.expr) -> tuple[str, str]:
    new = ast.unparse(mutated)
    return f"{_short(ast.unparse(node))} -> {_short(new)}", f"({new})"


def _change(node: ast.stmt, new: str) -> tuple[str, str]:
    return f"{_short(ast.unparse(node))} -> {_short(new)}", new


def _short(text: str, width: int = 70) -> str:
    return cut(" ".join(text.split()), width)


def _is_number(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool))


def _compiles(source: bytes) -> bool:
    try:
        compile(source, "<mutant>", "exec")
    except SyntaxError:
        return False
    return True


def _line_offsets(source: bytes) -> list[int]:
    offsets, total = [], 0
    for line in source.splitlines(keepends=True):
        offsets.append(total)
        total += len(line)
    return offsets + [total]


def _enclosing_functions(tree: ast.Module) -> dict[int, str]:
    """line -> qualified name of the innermost function or method holding it."""
    names: dict[int, str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    names.update(dict.fromkeys(range(child.lineno, child.end_lineno + 1), name))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return names


def package_mutants(package_dir: Path, max_per_region: int | None = None,
                    seed: int = 0) -> list[Mutant]:
    """Every region's mutants in ``package_dir/src``, at most ``max_per_region`` each (sampled)."""
    rng = random.Random(seed)
    chosen = []
    for path in sorted((package_dir / "src").rglob("*.py")):
        relative = path.relative_to(package_dir).as_posix()
        for mutants in region_mutants(path, relative):
            if max_per_region is not None and len(mutants) > max_per_region:
                mutants = sorted(rng.sample(mutants, max_per_region), key=lambda m: m.start)
            chosen += mutants
    return chosen


# -- running them ---------------------------------------------------------------------------


def run_tests(src: Path, tests: Path, timeout: float) -> str:
    """'passed', 'failed' or 'timeout' for the package's tests against the code in ``src``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(src),
                                                                    os.environ.get("PYTHONPATH")])),
           "PYTHONDONTWRITEBYTECODE": "1"}   # a same-size mutant must never reuse a stale .pyc
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
               "-p", "no:randomly", str(tests)]
    try:
        done = subprocess.run(command, env=env, cwd=tests.parent, timeout=timeout,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "passed" if done.returncode == 0 else "failed"


def mutate_package(package_dir: Path, mutants: list[Mutant], timeout: float | None = None,
                   log=print) -> PackageReport:
    """Run the package's tests once per mutant on a temporary copy of its ``src``."""
    report = PackageReport(package_dir.name, generated=len(mutants))
    tests = package_dir / "tests"
    with tempfile.TemporaryDirectory(prefix=f"mutants-{package_dir.name}-") as scratch:
        src = Path(scratch) / "src"
        shutil.copytree(package_dir / "src", src,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        started = time.monotonic()
        baseline = run_tests(src, tests, timeout=timeout or 3600)
        if baseline != "passed":
            raise RuntimeError(f"{package_dir.name}: its tests do not pass unmutated "
                               f"({baseline}); fix them before mutation testing")
        limit = timeout or max(30.0, 3 * (time.monotonic() - started) + 10)
        for number, mutant in enumerate(mutants, 1):
            target = src / Path(mutant.file).relative_to("src")
            original = target.read_bytes()
            target.write_bytes(mutant.apply(original))
            try:
                outcome = run_tests(src, tests, limit)
            finally:
                target.write_bytes(original)
            log(f"[{number}/{len(mutants)}] {outcome:7} {mutant.file}:{mutant.line} "
                f"{mutant.function}: {mutant.description}")
            if outcome == "failed":
                report.killed += 1
            elif outcome == "timeout":
                report.timed_out += 1
            else:
                report.survived += 1
                report.survivors.append({k: v for k, v in asdict(mutant).items()
                                         if k in ("file", "function", "line", "description")})
    return report


# -- reporting ------------------------------------------------------------------------------


def format_report(reports: list[PackageReport]) -> str:
    lines = [f"{'package':14} {'mutants':>7} {'killed':>6} {'survived':>8} {'timeout':>7} "
             f"{'score':>6}"]
    for r in reports:
        lines.append(f"{r.package:14} {r.generated:7} {r.killed:6} {r.survived:8} "
                     f"{r.timed_out:7} {r.score:6.1%}")
    for r in reports:
        if r.survivors:
            lines += ["", f"{r.package}: surviving mutants"]
            lines += [f"  {s['file']}:{s['line']} {s['function']}: {s['description']}"
                      for s in r.survivors]
    return "\n".join(lines)


def write_reports(reports: list[PackageReport], out: Path) -> None:
    """``<package>.txt`` and ``<package>.json`` for each package (a later run of another
    package keeps them), and ``mutants.txt`` / ``mutants.json`` for this run as a whole."""
    out.mkdir(parents=True, exist_ok=True)
    for name, group in [*((r.package, [r]) for r in reports), ("mutants", reports)]:
        replace_text(out / f"{name}.txt", format_report(group) + "\n")
        data = [{**asdict(r), "score": r.score} for r in group]
        replace_text(out / f"{name}.json", json.dumps(data, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nox -s mutants --", description=__doc__.split("\n")[0])
    parser.add_argument("packages", nargs="*", help="package names (default: every package)")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    parser.add_argument("--max-per-region", "--sample", type=int, default=None, metavar="N",
                        help="at most N mutants per solution region, drawn at random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per mutant (default: 3x the unmutated run + 10, min 30)")
    parser.add_argument("--out", type=Path, default=None, help="default: ROOT/results/mutants")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    try:
        packages = read_tree(root).packages
    except (GraphError, SpecError) as error:
        parser.error(str(error))
    names = args.packages or list(packages)
    unknown = [n for n in names if n not in packages]
    if unknown:
        parser.error(f"no such package under {root / 'packages'}: {', '.join(unknown)} "
                     f"(expected some of {', '.join(packages)})")
    reports = []
    for name in names:
        mutants = package_mutants(packages[name].path, args.max_per_region, args.seed)
        if args.list:
            print("\n".join(f"{m.file}:{m.line} {m.function}: {m.description}" for m in mutants))
            continue
        print(f"{name}: {len(mutants)} mutants", flush=True)
        reports.append(mutate_package(packages[name].path, mutants, args.timeout,
                                      log=lambda text: print(text, flush=True)))
    if args.list:
        return 0
    write_reports(reports, args.out or root / "results" / "mutants")
    print(format_report(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
