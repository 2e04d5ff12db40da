"""The task-order check (ttdev.task_order) on a tiny planted package: a test of task 1 that
needs task 2's function is found and names the stub it hit; --placement says where each
test (and each case of a parametrized one) belongs, and rewrites the tests lists."""

from pathlib import Path

from ttdev.task_order import (
    check_order,
    misplaced,
    new_starter,
    placed_tests,
    rewrite_tests,
    run_states,
)
from ttdev.tasks import parse_tasks, read_tasks

from .ttdev_fakes import write_package

SOURCE = '''\
def double(x):
    # BEGIN SOLUTION
    return 2 * x
    # END SOLUTION


def triple(x):
    # BEGIN SOLUTION
    return 3 * x
    # END SOLUTION
'''
TESTS = '''\
import pytest
from tinytorch.demo.ops import double, triple


def test_double():
    assert double(2) == 4


def test_double_then_triple():
    assert triple(double(1)) == 6


@pytest.mark.parametrize("op, expected", [(double, 2), (triple, 3)], ids=["double", "triple"])
def test_every_op(op, expected):
    assert op(1) == expected
'''
TASKS = '''\
[[task]]
name = "double"
title = "Doubling"
functions = ["double"]
tests = [
    "tests/test_demo.py::test_double",
    "tests/test_demo.py::test_double_then_triple",
]

[[task]]
name = "triple"
title = "Tripling"
functions = ["triple"]
tests = [
    "tests/test_demo.py::test_every_op",
]
'''


def planted_tree(tmp_path: Path) -> Path:
    root = tmp_path / "reference"
    folder = write_package(root, "tt-demo")
    (folder / "src/tinytorch/demo/ops.py").write_text(SOURCE)
    (folder / "tests").mkdir()
    (folder / "tests/test_demo.py").write_text(TESTS)
    (folder / "tasks.toml").write_text(TASKS)
    return root


def test_a_test_that_needs_a_later_task_is_named_with_the_stub_it_hit(tmp_path):
    root = planted_tree(tmp_path)
    starter = new_starter(root, tmp_path)
    findings, notes = check_order(root, "tt-demo", starter, tmp_path / "work", log=lambda _: None)
    assert [(f.task.name, f.test, f.stub, f.stub_task.name) for f in findings] == [
        ("double", "tests/test_demo.py::test_double_then_triple", "triple", "triple")]
    assert 'task 2 "triple"' in findings[0].describe()
    # the case of task 2's parametrized test that checks task 1's op passes one task early
    assert notes == ['task 2 "triple" (Tripling): 1 case(s) of '
                     "tests/test_demo.py::test_every_op already pass after task 1"]


def test_placement_lists_each_test_and_case_under_the_task_it_starts_passing_with(tmp_path):
    root = planted_tree(tmp_path)
    starter = new_starter(root, tmp_path)
    tasks = read_tasks(root / "packages" / "tt-demo")
    states = run_states(root, "tt-demo", starter, tmp_path / "work", log=lambda _: None)
    assert misplaced(tasks, states) == [
        'tests/test_demo.py::test_double_then_triple: belongs to task 2 "triple" (Tripling); '
        'listed under task 1 "double" (Doubling)',
        'tests/test_demo.py::test_every_op[double]: belongs to task 1 "double" (Doubling); '
        'listed under task 2 "triple" (Tripling)',
    ]
    placed = placed_tests(tasks, states)
    assert placed == [
        ["tests/test_demo.py::test_double", "tests/test_demo.py::test_every_op[double]"],
        ["tests/test_demo.py::test_double_then_triple",
         "tests/test_demo.py::test_every_op[triple]"],
    ]
    rewritten = parse_tasks(rewrite_tests(TASKS, placed), "tasks.toml")
    assert [list(t.tests) for t in rewritten] == placed
    assert [t.functions for t in rewritten] == [t.functions for t in tasks]
