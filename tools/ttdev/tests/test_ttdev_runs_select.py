"""Choosing which milestone scripts a milestone session runs."""

from __future__ import annotations

import pytest

from ttdev.runs import select_scripts
from ttdev.specs import load_milestone


@pytest.fixture
def milestone(tmp_path):
    folder = tmp_path / "04_1998_cnn"
    folder.mkdir()
    (folder / "milestone.toml").write_text(
        """
number = 4
year = 1998
slug = "cnn"
title = "CNN"
unlocked_by = "tt-spatial"

[[script]]
file = "digits.py"
default = true
[[script.bar]]
metric = "acc"
at_least = 0.9

[[script]]
file = "fashion.py"
default = false
[[script.bar]]
metric = "acc"
at_least = 0.9
"""
    )
    return load_milestone(folder)


def test_default_scripts_without_the_flag(milestone):
    scripts, rest = select_scripts(milestone, ["--quick"])
    assert [s.file for s in scripts] == ["digits.py"]
    assert rest == ["--quick"]


def test_named_scripts_with_the_flag(milestone):
    scripts, rest = select_scripts(milestone, ["--script", "fashion.py", "--quick"])
    assert [s.file for s in scripts] == ["fashion.py"]
    assert rest == ["--quick"]
    scripts, _ = select_scripts(milestone, ["--script=fashion.py", "--script=digits.py"])
    assert [s.file for s in scripts] == ["fashion.py", "digits.py"]


def test_an_undeclared_script_is_a_clear_error(milestone):
    with pytest.raises(ValueError, match="declared: digits.py, fashion.py"):
        select_scripts(milestone, ["--script", "cifar.py"])
