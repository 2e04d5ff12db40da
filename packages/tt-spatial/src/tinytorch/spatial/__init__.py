"""tinytorch.spatial: convolution, pooling and batch normalization for images.

Layers keep the 2-D structure of an image (N, C, H, W) instead of flattening
it: ``Conv2d`` (and ``Conv1d``), ``MaxPool2d``, ``AvgPool2d``,
``AdaptiveAvgPool2d``, ``BatchNorm2d`` (and ``BatchNorm1d``), ``Dropout2d``.
``tinytorch.spatial.functional`` holds the same math as functions, each
differentiable op a ``tinytorch.autograd.Function`` built on im2col
(``tinytorch.spatial.im2col``), plus ``conv2d_naive``, the loop version they
are checked against.
"""

from . import functional, im2col, shapes
from .__about__ import __version__
from .conv import Conv1d, Conv2d
from .dropout import Dropout2d
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d

__all__ = [
    "AdaptiveAvgPool2d",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "Dropout2d",
    "MaxPool2d",
    "__version__",
    "functional",
    "im2col",
    "shapes",
]
