"""The milestone runner every milestone script uses.

Scripts import it after putting the ``milestones`` folder on ``sys.path``::

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from common import Milestone
"""

from .runner import Milestone
from .spec import Bar, MilestoneSpec, Script, SpecError, discover_milestones, load_milestone

__all__ = [
    "Bar",
    "Milestone",
    "MilestoneSpec",
    "Script",
    "SpecError",
    "discover_milestones",
    "load_milestone",
]
