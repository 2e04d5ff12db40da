"""Dropout2d: zero whole channels while training."""

from __future__ import annotations

from tinytorch.nn import Module
from tinytorch.tensor import Tensor

from .functional.dropout import dropout2d


class Dropout2d(Module):
    r"""Zero each channel of each sample with probability p, as ``torch.nn.Dropout2d``.

    $$
    y_{n,c} = \frac{m_{n,c}}{1 - p} x_{n,c}, \quad m_{n,c} \sim \text{Bernoulli}(1 - p)
    $$

    Neighbouring pixels are strongly correlated, so dropping single pixels
    hardly regularizes a CNN; dropping whole feature maps does. In ``eval()``
    mode the input passes through unchanged.

    Args:
        p: the probability of zeroing a channel (default 0.5).
        inplace: multiply the input by the mask in place (default False).

    Shape:
        - Input: (N, C, H, W)
        - Output: the same shape

    Examples:
        >>> Dropout2d(0.2)(tinytorch.tensor.randn(8, 16, 5, 5)).shape
        (8, 16, 5, 5)
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout2d: dropout probability must be in [0, 1], got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return dropout2d(input, self.p, self.training, self.inplace, layer=repr(self))

    def extra_repr(self) -> str:
        return f"p={self.p}"
