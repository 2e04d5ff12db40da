"""tinytorch.spatial.functional: the spatial ops as functions, as ``torch.nn.functional``.

Each differentiable op is a ``tinytorch.autograd.Function`` (forward and
backward on NumPy arrays) or composed from Tensor operations.
"""

from .conv import Conv2dFunction, conv1d, conv2d
from .dropout import dropout2d
from .naive import conv2d_naive, conv2d_naive_backward
from .normalization import BatchNormFunction, batch_norm
from .padding import Pad2dFunction, pad
from .pooling import (
    AvgPool2dFunction,
    MaxPool2dFunction,
    adaptive_avg_pool2d,
    avg_pool2d,
    max_pool2d,
)

__all__ = [
    "AvgPool2dFunction",
    "BatchNormFunction",
    "Conv2dFunction",
    "MaxPool2dFunction",
    "Pad2dFunction",
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "conv1d",
    "conv2d",
    "conv2d_naive",
    "conv2d_naive_backward",
    "dropout2d",
    "max_pool2d",
    "pad",
]
