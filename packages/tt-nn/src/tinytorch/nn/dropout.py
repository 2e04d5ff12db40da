"""Dropout: randomly zero activations while training."""

from __future__ import annotations

import numpy as np
from tinytorch.tensor import Tensor

from . import functional as F
from .module import Module


class Dropout(Module):
    """During training, zero each element with probability p and scale the others by 1 / (1 - p).

    Scaling during training ("inverted" dropout) keeps every element's
    expected value, so in evaluation mode (``model.eval()``) Dropout is the
    identity.

    Args:
        p: the probability of zeroing an element (default 0.5), in [0, 1];
            p = 1 zeroes everything (and every gradient).
        inplace: multiply the input by the mask in place (default False).
        generator: a ``numpy.random.Generator`` for the masks; by default
            tt-tensor's default generator (``tinytorch.tensor.manual_seed``).

    Shape:
        Input (*), output (*) of the same shape.

    Examples:
        >>> drop = Dropout(0.2)
        >>> y = drop(ones(1000))   # about 200 zeros, the rest 1.25
    """

    def __init__(
        self, p: float = 0.5, inplace: bool = False, *, generator: np.random.Generator | None = None
    ) -> None:
        super().__init__()
        F.check_dropout_probability(p, "Dropout")
        self.p = p
        self.inplace = inplace
        self.generator = generator

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return F.dropout(input, self.p, self.training, self.inplace, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace=True" if self.inplace else f"p={self.p}"
