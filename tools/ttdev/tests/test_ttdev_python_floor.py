"""One Python floor, 3.11 (the tooling reads TOML with the standard library's tomllib),
declared alike by every package, the bootstrap script, ruff, the docs and the workflows."""

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FLOOR = (3, 11)
FLOOR_TEXT = "3.11"
DOCS = [ROOT / "README.md", ROOT / "docs" / "students.md", ROOT / "docs" / "instructors.md"]
# "Python 3.10", "python-version: "3.9"", ">=3.10": a version named as a floor or a setup
NAMED_VERSION = re.compile(r"(?:[Pp]ython[ -]|python-version:\s*\"?|>=\s*)3\.(\d+)")


@pytest.mark.parametrize("pyproject", sorted((ROOT / "packages").glob("*/pyproject.toml")),
                         ids=lambda p: p.parent.name)
def test_every_package_declares_the_floor(pyproject):
    declared = tomllib.loads(pyproject.read_text())["project"]["requires-python"]
    assert declared == f">={FLOOR_TEXT}", f"{pyproject}: requires-python = {declared!r}"


def test_the_bootstrap_script_and_ruff_use_the_floor():
    from run_nox import MINIMUM_PYTHON

    assert MINIMUM_PYTHON == FLOOR
    ruff = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    assert ruff["target-version"] == f"py{FLOOR[0]}{FLOOR[1]}"


@pytest.mark.parametrize("path", [*DOCS, *sorted((ROOT / ".github").rglob("*.yml"))],
                         ids=lambda p: p.name)
def test_docs_and_workflows_name_no_python_below_the_floor(path):
    older = [f"3.{minor}" for minor in NAMED_VERSION.findall(path.read_text())
             if int(minor) < FLOOR[1]]
    assert older == [], f"{path} names Python {older}, below the floor {FLOOR_TEXT}"


def test_the_guides_state_the_floor():
    for path in DOCS[:2]:
        assert f"Python {FLOOR_TEXT}" in path.read_text(), f"{path} does not say {FLOOR_TEXT}"
