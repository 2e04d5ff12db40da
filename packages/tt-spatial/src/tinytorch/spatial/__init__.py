"""tinytorch.spatial: convolution, pooling and batch normalization for images."""

from . import functional
from .__about__ import __version__

__all__ = ["__version__", "functional"]
