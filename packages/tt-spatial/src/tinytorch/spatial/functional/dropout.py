"""Dropout2d: drop whole channels, because neighbouring pixels are correlated.

Zeroing single pixels of a feature map barely regularizes a CNN: the
neighbours carry the same information. Dropout2d zeroes each (n, c) feature map
with probability p and scales the survivors by 1 / (1 - p), so the expected
value is unchanged:  y[n, c] = x[n, c] * keep[n, c] / (1 - p),  keep ~ Bernoulli(1 - p).
"""

from __future__ import annotations

import numpy as np
from tinytorch.tensor import ShapeError, Tensor, default_generator


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,  # noqa: A002
              inplace: bool = False, *, generator: np.random.Generator | None = None,
              layer: str = "dropout2d") -> Tensor:
    r"""Zero whole channels at random, as ``torch.nn.functional.dropout2d``.

    $$
    y_{n,c} = \frac{m_{n,c}}{1 - p} x_{n,c}, \quad m_{n,c} \sim \text{Bernoulli}(1 - p)
    $$

    Args:
        input: (N, C, H, W).
        p: the probability of zeroing a channel.
        training: apply dropout (True) or return the input unchanged.
        inplace: multiply the input by the mask in place and return it.
        generator: the random source (default: tinytorch.tensor's generator).

    Returns:
        ``input`` itself when not training or p == 0 (given). Otherwise each
        (n, c) map is kept with probability 1 - p, scaled by 1 / (1 - p), and
        zeroed otherwise (p == 1: all zeros, no division by zero); one draw of
        ``generator.random`` of shape (N, C, 1, 1) per call, a map kept when
        its number is >= p. The result keeps input's dtype and the gradient
        flows through the same mask; ``inplace=True`` multiplies ``input`` in
        place (``Tensor.mul_``) and returns it.

    Shape:
        - Input: (N, C, H, W)
        - Output: the same shape

    Examples:
        >>> dropout2d(tinytorch.tensor.ones(2, 4, 3, 3), p=0.5).shape
        (2, 4, 3, 3)
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{layer}: dropout probability must be in [0, 1], got {p}")
    if len(input.shape) != 4:
        raise ShapeError(f"{layer}: expected a 4-D input of shape (N, C, H, W), "
                         f"got shape {tuple(input.shape)}")
    if not training or p == 0.0:
        return input
    # BEGIN SOLUTION
    rng = generator or default_generator()
    keep = rng.random((*input.shape[:2], 1, 1)) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = Tensor(keep * scale, dtype=input.dtype)
    return input.mul_(mask) if inplace else input * mask
    # END SOLUTION
