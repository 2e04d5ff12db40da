"""The starter's stubs: the one message format shared by the generator, pytest and progress.

A starter replaces every solution region with::

    raise NotImplementedError(
        "tinytorch starter: tt-nn Linear.forward is not implemented yet. "
        "It is tt-nn task 3 \"linear\" (The Linear layer); "
        "its tests: nox -s task -- tt-nn linear. "
        "Docs: docs/packages/tt-nn.md."
    )

(the task from the package's ``tasks.toml``, see ``tasks.py``; a function in no task
names the test files that mention it instead).

The fixed prefix lets the root ``conftest.py`` tell a "not written yet" from a
real bug, and lets ``nox -s progress`` count what is left by reading sources.
Standard library only: ``conftest.py`` loads this file by path.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

STUB_PREFIX = "tinytorch starter:"
STARTER_MARKER = ".tinytorch-starter"   # the file at a starter's root (``starter.write_marker``)
STUB_PATTERN = re.compile(
    r"tinytorch starter: (?P<package>tt-[a-z0-9-]+) (?P<function>[\w.]+) is not implemented yet"
)

def stub_message_parts(package: str, function: str, tests: list[str], docs: str,
                       task=None) -> list[str]:
    """The message as string pieces, each short enough for one source line.

    ``task`` (a ``tasks.Task``) names the task and the command that runs its tests;
    without it the message lists ``tests``.
    """
    parts = [f"{STUB_PREFIX} {package} {function} is not implemented yet. "]
    if task is not None:
        parts += [f"It is {package} {task.label()}; ",
                  f"its tests: nox -s task -- {package} {task.name}. "]
    elif len(tests) == 1:
        parts.append(f"Tests: {tests[0]}. ")
    else:
        parts.append("Tests: ")
        parts += [f"{test}{', ' if i < len(tests) - 1 else '. '}" for i, test in enumerate(tests)]
    parts.append(f"Docs: {docs}.")
    return parts


def stub_source(indent: str, package: str, function: str, tests: list[str], docs: str,
                task=None) -> list[str]:
    """The source lines of the ``raise NotImplementedError(...)`` statement at ``indent``."""
    inner = indent + "    "
    body = [inner + json.dumps(part)
            for part in stub_message_parts(package, function, tests, docs, task)]
    return [f"{indent}raise NotImplementedError(", *body, f"{indent})"]


def parse_stub(message: str) -> tuple[str, str] | None:
    """(package, function) from a starter's NotImplementedError message, else None."""
    match = STUB_PATTERN.search(message)
    return (match["package"], match["function"]) if match else None


def find_stubs(source: str) -> list[str]:
    """The functions still stubbed in one source file's text, in order."""
    return [match["function"] for match in STUB_PATTERN.finditer(source)]


def stubs_in_package(package_dir: Path) -> list[str]:
    """Every function still stubbed in ``package_dir/src`` (qualified names, sorted by file)."""
    found = []
    for path in sorted((package_dir / "src").rglob("*.py")):
        found += find_stubs(path.read_text(encoding="utf-8", errors="replace"))
    return found
