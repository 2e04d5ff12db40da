"""Layers that map features linearly: Identity, Linear, Flatten."""

from __future__ import annotations

import math

import numpy as np
from tinytorch.tensor import Tensor

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


def _check_device(device, layer: str) -> None:
    """tinytorch computes with NumPy on the CPU: any other device is an error."""
    if device not in (None, "cpu"):
        raise NotImplementedError(f"{layer}: device={device!r}: tinytorch runs on the CPU only")


class Identity(Module):
    """y = x: a placeholder layer (for example to remove a layer from a model).

    Args:
        *args: ignored, so ``Identity`` can stand in for any layer's constructor.
        **kwargs: ignored, likewise.

    Shape:
        Input (*), output (*), the same tensor.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input


class Linear(Module):
    """y = x W^T + b.

    Args:
        in_features: the size of each input sample.
        out_features: the size of each output sample.
        bias: learn an additive bias (default True).
        device: only None or ``"cpu"`` (tinytorch runs on NumPy).
        dtype: the parameters' dtype (default float32).

    Shape:
        Input (*, in_features), output (*, out_features); * is any number of leading dims.

    Attributes:
        weight: (out_features, in_features), initialised from U(-k, k) with
            k = 1 / sqrt(in_features) (``init.kaiming_uniform_`` with a = sqrt(5)).
        bias: (out_features,), from U(-k, k) as well.

    Examples:
        >>> layer = Linear(20, 30)
        >>> layer(randn(128, 20)).shape
        (128, 30)
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ) -> None:
        super().__init__()
        _check_device(device, "Linear")
        dtype = np.float32 if dtype is None else dtype
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default init: weight and bias from U(-1/sqrt(in), 1/sqrt(in))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"


class Flatten(Module):
    """Merge dims ``start_dim`` to ``end_dim`` into one (by default all but the batch dim).

    Args:
        start_dim: the first dim to flatten (default 1).
        end_dim: the last dim to flatten (default -1).

    Shape:
        Input (N, *dims), output (N, prod(dims)) with the defaults.

    Examples:
        >>> Flatten()(zeros(32, 1, 5, 5)).shape
        (32, 25)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
