"""Padding the two spatial axes of an NCHW batch, differentiably.

Every padding mode copies input pixels: padded row p shows input row
``source[p]`` (or a constant). Such a copy along one axis is a matrix with one
1 per row, S[p, source[p]] = 1, so padding is  x_pad = S_h x S_w^T  and its
gradient is the transpose:  dL/dx = S_h^T dL/dx_pad S_w. Where rows of the
input are copied several times (reflect, replicate, circular), their
gradients add up.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tinytorch.autograd import Function, per_element_flops
from tinytorch.tensor import ShapeError, Tensor

NUMPY_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge",
               "circular": "wrap"}


def source_index(length: int, before: int, after: int, mode: str) -> np.ndarray:
    """For each padded position along one axis, the input position it copies (-1: the constant)."""
    positions = np.arange(length)
    if mode == "constant":
        return np.pad(positions, (before, after), constant_values=-1)
    return np.pad(positions, (before, after), mode=NUMPY_MODES[mode])


def copy_matrix(source: np.ndarray, length: int, dtype) -> np.ndarray:
    """S with S[p, source[p]] = 1: (padded length, length); rows of -1 stay zero."""
    return (source[:, None] == np.arange(length)[None, :]).astype(dtype)


class Pad2dFunction(Function):
    """Pad the last two axes; ``pads`` = ((top, bottom), (left, right)).

    The package's worked example of a Function: the forward is a copy (a
    matrix S per axis, see the module docstring), the backward its transpose,
    side by side. col2im is the same idea for im2col's copy.
    """

    flops = per_element_flops(0, 0)  # moves data only

    @staticmethod
    def forward(ctx, x, *, pads, mode: str, value: float):
        height, width = x.shape[-2:]
        rows = source_index(height, *pads[0], mode)
        cols = source_index(width, *pads[1], mode)
        ctx.copies = (copy_matrix(rows, height, x.dtype), copy_matrix(cols, width, x.dtype))
        if mode == "constant":
            return np.pad(x, ((0, 0), (0, 0), *pads), constant_values=value)
        return x[..., rows[:, None], cols[None, :]]

    @staticmethod
    def backward(ctx, grad_out):
        rows_copy, cols_copy = ctx.copies
        return rows_copy.T @ grad_out @ cols_copy


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",  # noqa: A002
        value: float | None = None) -> Tensor:
    """Pad the last two axes of an NCHW batch, as ``torch.nn.functional.pad`` does for 4-D input.

    Args:
        input: (N, C, H, W).
        pad: ``(left, right)`` or ``(left, right, top, bottom)``, PyTorch's order
            (last axis first).
        mode: ``'constant'`` (fill with ``value``), ``'reflect'`` (mirror without
            repeating the edge), ``'replicate'`` (repeat the edge) or ``'circular'`` (wrap around).
        value: the fill of ``'constant'`` padding (None: 0, as PyTorch).

    Shape:
        - Input: (N, C, H, W)
        - Output: (N, C, H + top + bottom, W + left + right)

    Examples:
        >>> pad(tinytorch.tensor.ones(1, 1, 2, 2), (1, 1, 0, 0), mode="replicate").shape
        (1, 1, 2, 4)
    """
    if mode not in NUMPY_MODES:
        raise ValueError(f"pad: mode must be one of {sorted(NUMPY_MODES)}, got {mode!r}")
    if len(input.shape) != 4:
        raise ShapeError(f"pad: expected a 4-D input of shape (N, C, H, W), "
                         f"got shape {tuple(input.shape)}")
    if len(pad) not in (2, 4) or any(p < 0 for p in pad):
        raise ValueError(f"pad: pad must be 2 or 4 non-negative ints "
                         f"(left, right[, top, bottom]), got {tuple(pad)}")
    value = 0.0 if value is None else value
    left, right, top, bottom = (*pad, 0, 0) if len(pad) == 2 else pad
    _check_fits(mode, input.shape, top, bottom, left, right)
    return Pad2dFunction.apply(input, pads=((top, bottom), (left, right)), mode=mode,
                               value=value)


def _check_fits(mode: str, shape, top: int, bottom: int, left: int, right: int) -> None:
    """reflect needs padding < size; circular needs padding <= size (as in PyTorch)."""
    height, width = shape[-2:]
    limit_h, limit_w = (height - 1, width - 1) if mode == "reflect" else (height, width)
    if mode in ("reflect", "circular") and (max(top, bottom) > limit_h
                                             or max(left, right) > limit_w):
        raise ValueError(f"pad: {mode} padding ({left}, {right}, {top}, {bottom}) is too large "
                         f"for an input of shape {tuple(shape)}")
