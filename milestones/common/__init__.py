"""The milestone runner every milestone script uses.

Scripts import it after putting the ``milestones`` folder on ``sys.path``::

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from common import Milestone
"""

from .figures import Figure, Panel, confusion_matrix, decision_grid, misclassified
from .runner import Milestone
from .spec import Bar, MilestoneSpec, Script, SpecError, discover_milestones, load_milestone

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
