"""The milestone.toml parser, borrowed from ``milestones/common/spec.py``.

There is one implementation of the schema: the one the milestone runner uses.
This module loads that file by path (it needs only the standard library), so
nox and the scripts can never disagree about what a milestone declares.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SPEC_FILE = Path(__file__).resolve().parents[2] / "milestones" / "common" / "spec.py"
MODULE_NAME = "_tinytorch_milestone_spec"


def load_spec_module(path: Path = SPEC_FILE):
    """Import ``milestones/common/spec.py`` as a standalone module (cached in sys.modules)."""
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    module_spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if module_spec is None or module_spec.loader is None:
        raise ImportError(f"cannot load the milestone schema from {path}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[MODULE_NAME] = module  # dataclasses look their module up while being built
    module_spec.loader.exec_module(module)
    return module


_spec = load_spec_module()
Bar = _spec.Bar
MilestoneSpec = _spec.MilestoneSpec
Script = _spec.Script
SpecError = _spec.SpecError
discover_milestones = _spec.discover_milestones
load_milestone = _spec.load_milestone
