"""The bench's environment variables, set by nox, match what tt-systems' harness records.

nox cannot import tinytorch, so ``ttdev.install`` keeps its own copy of them; this
test reads the harness's values from its source and keeps the two in step.
"""

import ast
from pathlib import Path

from ttdev.install import BENCH_MALLOC, SINGLE_THREAD

BENCHMARK = (Path(__file__).resolve().parents[3]
             / "packages/tt-systems/src/tinytorch/systems/benchmark.py")


def module_constant(path: Path, name: str):
    """The literal value assigned to ``name`` at module level in ``path`` (not imported)."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{path} has no module-level {name} = ...")


def test_bench_malloc_thresholds_are_the_harness_ones():
    assert BENCH_MALLOC == module_constant(BENCHMARK, "MALLOC_VARIABLES")


def test_single_thread_variables_are_the_ones_the_harness_checks():
    assert set(SINGLE_THREAD) == set(module_constant(BENCHMARK, "THREAD_VARIABLES"))
    assert set(SINGLE_THREAD.values()) == {"1"}
