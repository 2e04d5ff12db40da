"""tinytorch.systems: measure, shrink and speed up real models.

Every number this package reports is measured on the model in hand.
"""

from . import benchmark
from .__about__ import __version__

__all__ = ["__version__", "benchmark"]
