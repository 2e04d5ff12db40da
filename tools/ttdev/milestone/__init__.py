"""The milestone runner every milestone script uses::

    from ttdev.milestone import Milestone

(the tools package, ``pip install -e tools``, in the environment that runs the script;
every nox session that runs milestones installs it).
"""

from ..specs import Bar, MilestoneSpec, Script, SpecError, discover_milestones, load_milestone
from .figures import Figure, Panel, confusion_matrix, decision_grid, misclassified
from .runner import Milestone

__all__ = [
    "Bar",
    "Figure",
    "Milestone",
    "MilestoneSpec",
    "Panel",
    "Script",
    "SpecError",
    "confusion_matrix",
    "decision_grid",
    "discover_milestones",
    "load_milestone",
    "misclassified",
]
