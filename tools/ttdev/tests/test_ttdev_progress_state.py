"""A milestone's progress line from its results, including results that cannot be read."""

from __future__ import annotations

import json
from types import SimpleNamespace

from ttdev.progress import milestone_state


def _milestone():
    script = SimpleNamespace(stem="train")
    return SimpleNamespace(
        name="01_x", session="milestone_01", package_roots=("tt-a",),
        default_scripts=lambda: [script],
    )


def _packages():
    return {"tt-a": SimpleNamespace(name="tt-a", dependency_names=())}


def test_a_passed_quick_run(tmp_path):
    (tmp_path / "01_x").mkdir()
    (tmp_path / "01_x" / "train.json").write_text(json.dumps({"passed": True, "quick": True}))
    assert milestone_state(_milestone(), _packages(), {}, tmp_path) == "unlocked, passed (quick)"


def test_an_unreadable_results_file_is_reported_not_raised(tmp_path):
    (tmp_path / "01_x").mkdir()
    (tmp_path / "01_x" / "train.json").write_text("{ truncated")
    state = milestone_state(_milestone(), _packages(), {}, tmp_path)
    assert state.startswith("unlocked, results unreadable") and "milestone_01" in state
