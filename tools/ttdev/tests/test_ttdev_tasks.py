"""Task lists (tasks.toml): reading them, the lint check against regions and tests, the
``nox -s task`` arguments, and this repository's own task lists."""

from pathlib import Path

import pytest

from ttdev.checks import task_problems
from ttdev.fill import fill_file
from ttdev.graph import discover_packages
from ttdev.specs import discover_milestones
from ttdev.starter import stub_file
from ttdev.stubs import parse_stub
from ttdev.tasks import TaskListError, parse_tasks, pick_task, read_tasks, task_of_function

from .ttdev_fakes import TWO_TASKS_TOML, write_package

ROOT = Path(__file__).resolve().parents[3]

SOURCE = '''\
def relu(x):
    # BEGIN SOLUTION
    return x
    # END SOLUTION


class Linear:
    def forward(self, x):
        # BEGIN SOLUTION
        return x
        # END SOLUTION
'''
TESTS = "def test_relu():\n    pass\n\n\nclass TestLinear:\n    def test_forward(self):\n" \
        "        pass\n"
GOOD = TWO_TASKS_TOML


def nn_package(tmp_path, tasks: str | None):
    folder = write_package(tmp_path, "tt-nn")
    (folder / "src/tinytorch/nn/layers.py").write_text(SOURCE)
    (folder / "tests").mkdir()
    (folder / "tests/test_nn.py").write_text(TESTS)
    if tasks is not None:
        (folder / "tasks.toml").write_text(tasks)
    return discover_packages(tmp_path / "packages")


def test_a_task_list_is_read_in_order_and_numbered_from_one(tmp_path):
    tasks = read_tasks(nn_package(tmp_path, GOOD)["tt-nn"].path)
    assert [(t.number, t.name) for t in tasks] == [(1, "relu"), (2, "linear")]
    assert tasks[1].unlocks == "milestone_02" and tasks[0].unlocks == ""
    assert tasks[1].label() == 'task 2 "linear" (The Linear layer)'


def test_a_consistent_task_list_has_no_problems(tmp_path):
    assert task_problems(nn_package(tmp_path, GOOD).values()) == []


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.replace('["Linear.forward"]', '["Linear.forward", "relu"]'),
     "'relu' is in several tasks (relu, linear)"),
    (lambda t: t.replace('["Linear.forward"]', "[]"), "'Linear.forward' (src/tinytorch/nn/"
     "layers.py) is in no task"),
    (lambda t: t.replace('["relu"]', '["relu", "gelu"]'), "names 'gelu', which has no "
     "solution region"),
    (lambda t: t.replace("test_nn.py::test_relu", "test_nn.py::test_rel"),
     "test 'tests/test_nn.py::test_rel': tests/test_nn.py has no test or class 'test_rel'"),
    (lambda t: t.replace("TestLinear::test_forward", "TestLinear::test_backward"),
     "has no test or class 'test_backward'"),
    (lambda t: t.replace("tests/test_nn.py::test_relu", "tests/test_missing.py"),
     "tests/test_missing.py is not a file of the package"),
    (lambda t: t.replace('name = "linear"', 'name = "relu"'), "task name 'relu' is used 2 times"),
    (lambda t: t.replace('"milestone_02"', '"milestone_09"'), "unlocks 'milestone_09', which is "
     "not a milestone"),
    (lambda t: t.replace('tests = ["tests/test_nn.py::test_relu"]', "tests = []"),
     "task 'relu' lists no tests"),
])
def test_each_inconsistency_is_named(tmp_path, edit, expected):
    packages = nn_package(tmp_path, edit(GOOD))
    milestones = discover_milestones(ROOT / "milestones")
    problems = task_problems(packages.values(), milestones)
    assert len(problems) == 1 and expected in problems[0], problems
    assert str(packages["tt-nn"].path / "tasks.toml") in problems[0]


def test_a_package_with_regions_and_no_task_list_is_a_problem(tmp_path):
    problems = task_problems(nn_package(tmp_path, None).values())
    assert len(problems) == 1 and "tasks.toml is missing: tt-nn has 2 solution regions" \
        in problems[0]


@pytest.mark.parametrize(("text", "expected"), [
    ("[[task]\n", "not valid TOML"),
    ('title = "x"\n', "expected [[task]] tables"),
    ('[[task]]\nname = "a"\ntitle = "A"\nfunctions = ["f"]\n', "tests must be a list"),
    ('[[task]]\nname = "a"\nfunctions = ["f"]\ntests = ["t"]\n', "task 1: title must be"),
    ('[[task]]\nname = "a"\ntitle = "A"\nfunctions = ["f"]\ntests = ["t"]\nfile = "x"\n',
     "unknown key(s) ['file']"),
])
def test_a_malformed_task_list_is_an_error_naming_the_file(text, expected):
    with pytest.raises(TaskListError, match="tasks.toml") as error:
        parse_tasks(text, "packages/tt-nn/tasks.toml")
    assert expected in str(error.value)


def test_pick_task_by_name_or_number_and_errors_that_list_what_exists(tmp_path):
    packages = {n: p.path for n, p in nn_package(tmp_path, GOOD).items()}
    package, task, rest = pick_task(["tt-nn", "linear", "-x"], packages)
    assert (package, task.name, rest) == ("tt-nn", "linear", ["-x"])
    assert pick_task(["tt-nn", "1"], packages)[1].name == "relu"
    with pytest.raises(TaskListError, match=r"tt-nn: no task 'lineer'; the tasks, in order: "
                                            r"1 relu, 2 linear"):
        pick_task(["tt-nn", "lineer"], packages)
    with pytest.raises(TaskListError, match=r"tt-nn's tasks, in order: 1 relu, 2 linear"):
        pick_task(["tt-nn"], packages)
    with pytest.raises(TaskListError, match=r"unknown package 'tt-nnn'; usage: .*packages: tt-nn"):
        pick_task(["tt-nnn", "relu"], packages)


def test_the_repository_task_lists_match_their_regions_and_tests():
    packages = discover_packages(ROOT / "packages")
    problems = task_problems(packages.values(), discover_milestones(ROOT / "milestones"))
    assert problems == [], "\n".join(problems)


def test_a_stub_names_its_task_and_the_command_and_still_parses(tmp_path):
    tasks = read_tasks(nn_package(tmp_path, GOOD)["tt-nn"].path)
    stubbed, functions = stub_file(SOURCE, "layers.py", "tt-nn", {}, "packages/tt-nn/tests",
                                   task_of_function(tasks))
    assert functions == ["relu", "Linear.forward"]
    namespace: dict = {}
    exec(compile(stubbed, "layers.py", "exec"), namespace)
    with pytest.raises(NotImplementedError) as error:
        namespace["Linear"]().forward(1)
    message = str(error.value)
    assert 'It is tt-nn task 2 "linear" (The Linear layer); its tests: nox -s task -- tt-nn ' \
        'linear.' in message
    assert parse_stub(message) == ("tt-nn", "Linear.forward")


def test_filling_a_stub_back_restores_only_that_function():
    stubbed, _ = stub_file(SOURCE, "layers.py", "tt-nn", {}, "packages/tt-nn/tests")
    filled = fill_file(stubbed, SOURCE, {"Linear.forward"}, "layers.py")
    namespace: dict = {}
    exec(compile(filled, "layers.py", "exec"), namespace)
    assert namespace["Linear"]().forward(3) == 3
    with pytest.raises(NotImplementedError):
        namespace["relu"](1)
    assert fill_file(filled, SOURCE, {"relu", "Linear.forward"}, "layers.py").count("raise") == 0
    with pytest.raises(ValueError, match="the starter stubs relu but the reference has no"):
        fill_file(filled, "def relu(x):\n    return x\n", {"relu"}, "layers.py")
