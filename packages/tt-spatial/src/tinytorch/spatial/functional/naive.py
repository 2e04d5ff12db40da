"""The teaching baseline: convolution as the loops its definition spells out.

    out[n, o, y, x] = b[o]
        + sum_{c, i, j} w[o, c, i, j] * x_pad[n, g*C_g + c, y*sh + i*dh, x*sw + j*dw]

These functions loop over every image, output channel and output pixel, so
they are easy to check against the formula and thousands of times slower
than the im2col version in ``conv.py``. They work on NumPy arrays, have no
autograd, and are used only in tests (both must agree) and in
``benchmarks/bench_cnn.py`` (to show how far apart they are).
"""

from __future__ import annotations

import numpy as np

from ..im2col import pad_hw, unpad_hw
from ..shapes import output_hw, pair, resolve_padding


def _geometry(x, weight, stride, padding, dilation):
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    pads = resolve_padding(padding, weight.shape[2:], stride, dilation)
    return stride, pads, dilation, output_hw(x.shape[2:], weight.shape[2:], stride, pads, dilation)


def _window(image: np.ndarray, y: int, x: int, kernel, stride, dilation) -> tuple:
    """The index of the window of output pixel (y, x) in one padded (C, H, W) image."""
    rows = slice(y * stride[0], y * stride[0] + dilation[0] * (kernel[0] - 1) + 1, dilation[0])
    cols = slice(x * stride[1], x * stride[1] + dilation[1] * (kernel[1] - 1) + 1, dilation[1])
    return (slice(None), rows, cols)


def conv2d_naive(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None, stride=1,
                 padding=0, dilation=1, groups: int = 1) -> np.ndarray:
    """Forward convolution with explicit loops over n, o, y, x (NumPy arrays in and out).

    The formula of this module, looped: x (N, C_in, H, W), weight
    (C_out, C_in / groups, kh, kw), bias (C_out,) or None; stride and dilation
    an int or a pair, padding an int, a pair, ``'same'`` or ``'valid'`` (zeros),
    as ``conv2d``'s. Returns a new (N, C_out, H_out, W_out) array of x's dtype.
    Given: ``_geometry`` (stride, padding, dilation as pairs and the output
    size), ``im2col.pad_hw`` and ``_window`` (the index of one output pixel's
    window in one padded image). Shapes are not checked.
    """
    # BEGIN SOLUTION
    stride, pads, dilation, (out_h, out_w) = _geometry(x, weight, stride, padding, dilation)
    x_padded = pad_hw(x, pads)
    batch, c_out, c_group = x.shape[0], weight.shape[0], weight.shape[1]
    out_per_group = c_out // groups
    out = np.zeros((batch, c_out, out_h, out_w), dtype=x.dtype)
    for n in range(batch):
        for o in range(c_out):
            group = o // out_per_group
            image = x_padded[n, group * c_group:(group + 1) * c_group]
            for y in range(out_h):
                for x_ in range(out_w):
                    window = image[_window(image, y, x_, weight.shape[2:], stride, dilation)]
                    out[n, o, y, x_] = np.sum(window * weight[o])
            if bias is not None:
                out[n, o] += bias[o]
    return out
    # END SOLUTION


def conv2d_naive_backward(x: np.ndarray, weight: np.ndarray, grad_out: np.ndarray, stride=1,
                          padding=0, dilation=1, groups: int = 1):
    """Gradients (input, weight, bias) of ``conv2d_naive`` with the same loops.

    ``grad_out`` is dL/dout, (N, C_out, H_out, W_out). Returns three new
    arrays: dL/dx of x's shape (N, C_in, H, W) (padding pixels are no input:
    their gradient is dropped), dL/dweight of the weight's shape and dL/dbias
    (C_out,). The same arguments as ``conv2d_naive``; loop over the output
    pixels as the forward does.
    """
    # BEGIN SOLUTION
    stride, pads, dilation, (out_h, out_w) = _geometry(x, weight, stride, padding, dilation)
    x_padded = pad_hw(x, pads)
    grad_padded = np.zeros_like(x_padded)
    grad_weight = np.zeros_like(weight)
    batch, c_out, c_group = x.shape[0], weight.shape[0], weight.shape[1]
    out_per_group = c_out // groups
    for n in range(batch):
        for o in range(c_out):
            group = o // out_per_group
            channels = slice(group * c_group, (group + 1) * c_group)
            for y in range(out_h):
                for x_ in range(out_w):
                    where = _window(x_padded[n], y, x_, weight.shape[2:], stride, dilation)
                    g = grad_out[n, o, y, x_]
                    grad_padded[n, channels][where] += g * weight[o]
                    grad_weight[o] += g * x_padded[n, channels][where]
    return unpad_hw(grad_padded, pads), grad_weight, grad_out.sum(axis=(0, 2, 3))
    # END SOLUTION
