"""A package's task list, ``packages/<pkg>/tasks.toml``: what a student writes, in order.

```toml
[[task]]
name = "broadcasting"            # slug, unique in the package
title = "Broadcasting shapes"    # what the guide's table shows
functions = ["broadcast_shapes", "Tensor.expand"]   # as the stub messages name them
tests = ["tests/test_broadcast.py", "tests/test_tensor.py::test_expand"]   # node ids
unlocks = "milestone_01"         # optional: on the task that completes a milestone
```

Tasks are listed in learning order and numbered from 1. Every solution region of the
package belongs to exactly one task (``checks.task_problems`` enforces it). The stub
messages (``stubs.py``), the list at the end of a starter's test run (the root
``conftest.py``), ``nox -s progress``, ``nox -s task -- <pkg> <task>`` and the package
guide's table all read this file. Standard library only: ``conftest.py`` loads it by path.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

TASKS_FILE = "tasks.toml"
KEYS = {"name", "title", "functions", "tests", "unlocks"}


class TaskListError(ValueError):
    """A tasks.toml that cannot be read (not TOML, or a task without its fields)."""


@dataclass(frozen=True)
class Task:
    """One task: its place in the list (from 1), slug, title, functions, test node ids."""

    number: int
    name: str
    title: str
    functions: tuple[str, ...]
    tests: tuple[str, ...]
    unlocks: str = ""

    def label(self) -> str:
        """``task 3 "linear" (The Linear layer)``: how messages name it."""
        return f'task {self.number} "{self.name}" ({self.title})'


def task_command(package: str, task: str) -> str:
    """The command that runs one task's tests."""
    return f"nox -s task -- {package} {task}"


def _strings(value, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise TaskListError(f"{where}: {key} must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def parse_tasks(text: str, where: str) -> list[Task]:
    """The tasks of one tasks.toml's text; TaskListError naming ``where`` if malformed."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TaskListError(f"{where}: not valid TOML ({error})") from error
    entries = data.get("task")
    if not isinstance(entries, list) or not entries:
        raise TaskListError(f"{where}: expected [[task]] tables (name, title, functions, tests)")
    tasks = []
    for number, entry in enumerate(entries, start=1):
        here = f"{where}: task {number}"
        unknown = set(entry) - KEYS
        if unknown:
            raise TaskListError(f"{here}: unknown key(s) {sorted(unknown)}; "
                                f"expected {sorted(KEYS)}")
        for key in ("name", "title"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise TaskListError(f"{here}: {key} must be a non-empty string")
        if not isinstance(entry.get("unlocks", ""), str):
            raise TaskListError(f"{here}: unlocks must be a string such as 'milestone_01'")
        tasks.append(Task(number, entry["name"], entry["title"],
                          _strings(entry.get("functions"), here, "functions"),
                          _strings(entry.get("tests"), here, "tests"),
                          entry.get("unlocks", "")))
    return tasks


def read_tasks(package_dir: Path) -> list[Task] | None:
    """The package's tasks, or None when it has no tasks.toml."""
    path = package_dir / TASKS_FILE
    if not path.is_file():
        return None
    return parse_tasks(path.read_text(encoding="utf-8"), str(path))


def task_of_function(tasks: list[Task] | None) -> dict[str, Task]:
    """Function name -> the task that holds it."""
    return {function: task for task in tasks or [] for function in task.functions}


def find_task(tasks: list[Task], name: str) -> Task:
    """The task called ``name`` (or numbered ``name``); TaskListError listing the known ones."""
    for task in tasks:
        if name in (task.name, str(task.number)):
            return task
    known = ", ".join(f"{t.number} {t.name}" for t in tasks)
    raise TaskListError(f"no task {name!r}; the tasks, in order: {known}")


TASK_USAGE = "nox -s task -- <package> <task> [pytest arguments]"


def pick_task(args: list[str], packages: dict[str, Path]) -> tuple[str, Task, list[str]]:
    """(package, task, the other arguments) from ``nox -s task`` arguments; TaskListError
    naming the known packages or the package's tasks when one is missing or unknown."""
    if not args or args[0] not in packages:
        given = f"unknown package {args[0]!r}; " if args else ""
        raise TaskListError(f"{given}usage: {TASK_USAGE}; packages: {', '.join(packages)}")
    package = args[0]
    tasks = read_tasks(packages[package])
    if not tasks:
        raise TaskListError(f"{package} has no {TASKS_FILE}: its tasks are not listed yet")
    if len(args) < 2:
        known = ", ".join(f"{t.number} {t.name}" for t in tasks)
        raise TaskListError(f"usage: {TASK_USAGE}; {package}'s tasks, in order: {known}")
    try:
        task = find_task(tasks, args[1])
    except TaskListError as error:
        raise TaskListError(f"{package}: {error}") from None
    return package, task, list(args[2:])
