"""Pooling: summarize each window of an NCHW batch by its maximum or its mean.

Both are computed over the kh * kw strided views of the padded input (one view
per kernel offset, see ``tinytorch.spatial.im2col``): ``np.maximum`` or ``+``
of those views, no reshape and no loop over pixels.

Max pooling sends each window's gradient to exactly one input element: the
*first* maximum in scan order (row by row, then column by column within the
window), so ties are broken deterministically, and the gradient flows where
the forward value came from. Average pooling spreads it evenly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from tinytorch.autograd import Function, requires_grad
from tinytorch.tensor import Tensor

from ..im2col import (
    add_masked_to_view,
    add_to_view,
    kernel_views,
    pad_hw,
    unpad_hw,
    windows_overlap,
)
from ..shapes import (
    Pair,
    check_nchw,
    check_output_hw,
    check_positive,
    output_hw,
    pair,
    refuse_unsupported,
)


def _window_flops(inputs, params, outputs):
    """kh kw per output element (one compare or add per window element), as much backward."""
    work = math.prod(outputs[0].shape) * math.prod(params.get("kernel", (1, 1)))
    return work, work * requires_grad(inputs[0])


class MaxPool2dFunction(Function):
    """out[n, c, y, x] = max over the window of x_pad (padding is -inf)."""

    flops = staticmethod(_window_flops)

    @staticmethod
    def forward(ctx, x, *, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair):
        """The maximum of each window: (N, C, H, W) -> (N, C, H_out, W_out), x's dtype.

        ``padding`` (rows, columns) pads both sides with -inf, so a padding
        pixel is never a maximum; H_out, W_out as ``shapes.output_hw``. Whatever
        the backward needs is saved on ``ctx`` here: it gets only the output's
        gradient. When ``ctx.needs_input_grad[0]`` is False, save no array
        (``ctx.saved_tensors`` stays ``()``; a test checks it). Given:
        ``kernel_views`` (the strided index of each kernel offset, in scan
        order) and ``first_maximum_masks`` below. No loop over pixels.
        """
        # BEGIN SOLUTION
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
        x_padded = pad_hw(x, pads, value=-np.inf)
        out_hw = output_hw(x.shape[2:], kernel, stride, pads, dilation)
        indices = [index for _, index in kernel_views(kernel, stride, dilation, out_hw)]
        out = x_padded[indices[0]].copy()
        for index in indices[1:]:
            np.maximum(out, x_padded[index], out=out)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(*first_maximum_masks(x_padded, out, indices))
        ctx.geometry = (x_padded.shape, pads, windows_overlap(kernel, stride, dilation), indices)
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_out):
        """dL/dx, x's shape (N, C, H, W) and grad_out's dtype, from dL/dout (read-only).

        Each window's gradient goes to exactly one input pixel: the *first*
        maximum of the window in scan order (row by row, then column by
        column), also when several elements tie. A pixel that is the maximum
        of several (overlapping) windows collects the sum; a pixel that is no
        window's maximum gets 0. Given: ``im2col.add_to_view`` and
        ``im2col.add_masked_to_view``.
        """
        # BEGIN SOLUTION
        padded_shape, pads, overlap, indices = ctx.geometry
        grad_padded = np.zeros(padded_shape, dtype=grad_out.dtype)
        for index, is_first_max in zip(indices, ctx.saved_tensors, strict=True):
            add_masked_to_view(grad_padded, index, grad_out, is_first_max, overlap=overlap)
        return unpad_hw(grad_padded, pads)
        # END SOLUTION


def first_maximum_masks(x_padded: np.ndarray, out: np.ndarray, indices: list) -> list:
    """One bool mask (shape of ``out``) per kernel offset: is it the window's first maximum?

    Args:
        x_padded: (N, C, H_pad, W_pad), the padded input.
        out: (N, C, H_out, W_out), each window's maximum.
        indices: one index per kernel offset, in scan order (row by row), such
            that ``x_padded[indices[k]]`` has out's shape and holds offset k of
            every window.

    Returns:
        A list of ``len(indices)`` bool arrays of out's shape. For every window
        exactly one of them is True: the first offset (in the order of
        ``indices``) whose value equals the window's maximum, also when
        several elements tie. Loop over the offsets, not over pixels.
    """
    # NOTE: `unclaimed` marks the windows whose maximum has not been found yet.
    # BEGIN SOLUTION
    unclaimed = np.ones(out.shape, dtype=bool)
    masks = []
    for index in indices:
        is_first_max = np.equal(x_padded[index], out)
        is_first_max &= unclaimed
        unclaimed ^= is_first_max
        masks.append(is_first_max)
    return masks
    # END SOLUTION


class AvgPool2dFunction(Function):
    """out[n, c, y, x] = sum over the window of x_pad / divisor."""

    flops = staticmethod(_window_flops)

    @staticmethod
    def forward(ctx, x, *, kernel: Pair, stride: Pair, padding: Pair, count_include_pad: bool):
        """The mean of each window: (N, C, H, W) -> (N, C, H_out, W_out), x's dtype.

        ``padding`` (rows, columns) pads both sides with zeros. The divisor of
        a window is kh * kw with ``count_include_pad``, else the number of its
        pixels that lie inside the unpadded input (``_window_sizes`` gives
        either, as an array that broadcasts against the output). Save on
        ``ctx`` what the backward needs. No loop over pixels.
        """
        # BEGIN SOLUTION
        pads = ((padding[0], padding[0]), (padding[1], padding[1]))
        x_padded = pad_hw(x, pads)
        out_hw = output_hw(x.shape[2:], kernel, stride, pads, (1, 1))
        divisor = _window_sizes(x.shape, kernel, stride, pads, out_hw, count_include_pad)
        total = np.zeros((*x.shape[:2], *out_hw), dtype=x.dtype)
        for _, index in kernel_views(kernel, stride, (1, 1), out_hw):
            total += x_padded[index]
        ctx.geometry = (x_padded.shape, pads, kernel, stride, out_hw, divisor)
        return total / divisor
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_out):
        """dL/dx, x's shape (N, C, H, W) and grad_out's dtype, from dL/dout (read-only).

        Overlapping windows add up; pixels no window covers get 0.
        """
        # BEGIN SOLUTION
        padded_shape, pads, kernel, stride, out_hw, divisor = ctx.geometry
        share = grad_out / divisor
        grad_padded = np.zeros(padded_shape, dtype=grad_out.dtype)
        for _, index in kernel_views(kernel, stride, (1, 1), out_hw):
            add_to_view(grad_padded, index, share)
        return unpad_hw(grad_padded, pads)
        # END SOLUTION


def _window_sizes(shape, kernel: Pair, stride: Pair, pads, out_hw: Pair,
                  count_include_pad: bool):
    """The divisor of each window: kh * kw, or only its pixels inside the input (H_out, W_out)."""
    if count_include_pad:
        return np.asarray(kernel[0] * kernel[1], dtype=np.float32)
    inside = pad_hw(np.ones((1, 1, *shape[2:]), dtype=np.float32), pads)
    count = np.zeros(out_hw, dtype=np.float32)
    for _, index in kernel_views(kernel, stride, (1, 1), out_hw):
        count += inside[index][0, 0]
    return count


def _pool_geometry(layer: str, input_shape, kernel_size, stride, padding, dilation=1):
    """Pairs for kernel, stride (default: the kernel), padding and dilation, checked."""
    check_nchw(layer, input_shape)
    kernel = pair(kernel_size, "kernel_size")
    stride = kernel if stride is None or stride == [] else pair(stride, "stride")
    padding, dilation = pair(padding, "padding"), pair(dilation, "dilation")
    check_positive(layer, kernel_size=kernel, stride=stride, dilation=dilation)
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2 or min(padding) < 0:
        raise ValueError(f"{layer}: padding {padding} must be at least 0 and at most half "
                         f"the kernel size {kernel}")
    pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    check_output_hw(layer, input_shape, output_hw(input_shape[2:], kernel, stride, pads,
                                                  dilation))
    return kernel, stride, padding, dilation


def max_pool2d(input: Tensor, kernel_size: int | Sequence[int],  # noqa: A002
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False, *, layer: str = "max_pool2d") -> Tensor:
    r"""2-D max pooling, as ``torch.nn.functional.max_pool2d`` (only ``ceil_mode=False``).

    $$
    \text{out}(N_i, C_j, h, w) = \max_{m < kh,\, n < kw}
        \text{input}(N_i, C_j, \text{stride}_h h + \text{dilation}_h m,
                               \text{stride}_w w + \text{dilation}_w n)
    $$

    Args:
        input: (N, C, H, W).
        kernel_size: the window, an int or a pair.
        stride: the step between windows (default: ``kernel_size``).
        padding: -inf added on both sides, at most half the kernel.
        dilation: the spacing of the window's elements.
        ceil_mode: only False (NotImplementedError otherwise).
        return_indices: only False (NotImplementedError otherwise).

    Shape:
        - Input: (N, C, H, W)
        - Output: (N, C, H_out, W_out), H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1

    Examples:
        >>> max_pool2d(tinytorch.tensor.randn(2, 3, 8, 8), 2).shape
        (2, 3, 4, 4)
    """
    refuse_unsupported(layer, ceil_mode=(ceil_mode, False),
                       return_indices=(return_indices, False))
    kernel, stride, padding, dilation = _pool_geometry(layer, input.shape, kernel_size, stride,
                                                       padding, dilation)
    return MaxPool2dFunction.apply(input, kernel=kernel, stride=stride, padding=padding,
                                   dilation=dilation)


def avg_pool2d(input: Tensor, kernel_size: int | Sequence[int],  # noqa: A002
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None, *, layer: str = "avg_pool2d") -> Tensor:
    r"""2-D average pooling, as ``torch.nn.functional.avg_pool2d`` (only ``ceil_mode=False``).

    $$
    \text{out}(N_i, C_j, h, w) = \frac{1}{kh \cdot kw} \sum_{m < kh,\, n < kw}
        \text{input}(N_i, C_j, \text{stride}_h h + m, \text{stride}_w w + n)
    $$

    Args:
        input: (N, C, H, W).
        kernel_size: as ``max_pool2d``.
        stride: as ``max_pool2d``.
        padding: as ``max_pool2d`` (zeros are padded).
        ceil_mode: only False (NotImplementedError otherwise).
        count_include_pad: divide by kh * kw (True) or by the number of
            pixels of the window that lie inside the input (False).
        divisor_override: divide every window's sum by this instead.

    Shape:
        - Input: (N, C, H, W)
        - Output: (N, C, H_out, W_out), H_out = floor((H + 2 p - k) / s) + 1

    Examples:
        >>> avg_pool2d(tinytorch.tensor.randn(2, 3, 8, 8), 2).shape
        (2, 3, 4, 4)
    """
    refuse_unsupported(layer, ceil_mode=(ceil_mode, False))
    kernel, stride, padding, _ = _pool_geometry(layer, input.shape, kernel_size, stride, padding)
    if divisor_override is None:
        return AvgPool2dFunction.apply(input, kernel=kernel, stride=stride, padding=padding,
                                       count_include_pad=count_include_pad)
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, int) \
            or divisor_override <= 0:
        raise ValueError(f"{layer}: divisor_override must be a positive int, "
                         f"got {divisor_override!r}")
    mean = AvgPool2dFunction.apply(input, kernel=kernel, stride=stride, padding=padding,
                                   count_include_pad=True)
    return mean * (kernel[0] * kernel[1] / divisor_override)  # the window sums / divisor


def averaging_matrix(length: int, out_length: int) -> np.ndarray:
    """A (out_length, length) float64 matrix whose row i averages input bin i.

    Bin i spans positions ``floor(i * length / out_length)`` to
    ``ceil((i + 1) * length / out_length)`` (exclusive), PyTorch's adaptive
    bins; they overlap when the sizes do not divide. Row i holds 1 / (bin i's
    length) inside the bin and 0 elsewhere, so each row sums to 1. Integer
    arithmetic for the bounds (no float rounding); no loop needed.
    """
    # BEGIN SOLUTION
    rows = np.arange(out_length)
    starts = (rows * length) // out_length
    ends = -((-(rows + 1) * length) // out_length)  # ceiling division
    positions = np.arange(length)
    inside = (positions[None, :] >= starts[:, None]) & (positions[None, :] < ends[:, None])
    return inside / (ends - starts)[:, None]
    # END SOLUTION


def adaptive_avg_pool2d(input: Tensor, output_size: int | Sequence[int | None],  # noqa: A002
                        *, layer: str = "adaptive_avg_pool2d") -> Tensor:
    r"""Average over adaptive bins so the output has ``output_size``, as PyTorch's.

    Averaging bins along rows and columns are two linear maps, so with the
    averaging matrices A_h (H_out, H) and A_w (W_out, W):

    $$
    \text{out}(N_i, C_j) = A_h \, \text{input}(N_i, C_j) \, A_w^T
    $$

    Built from Tensor matmuls, so autograd differentiates it with no rule of its own.

    Args:
        input: (N, C, H, W).
        output_size: (H_out, W_out), an int for both, or None to keep that axis.

    Shape:
        - Input: (N, C, H, W)
        - Output: (N, C, H_out, W_out)

    Examples:
        >>> adaptive_avg_pool2d(tinytorch.tensor.randn(2, 3, 7, 7), 1).shape
        (2, 3, 1, 1)
    """
    check_nchw(layer, input.shape)
    height, width = input.shape[2:]
    out_h, out_w = (output_size, output_size) if isinstance(output_size, int) else output_size
    out_h, out_w = out_h or height, out_w or width
    if out_h < 1 or out_w < 1:
        raise ValueError(f"{layer}: output_size must be positive, got {output_size!r}")
    rows = Tensor(averaging_matrix(height, out_h), dtype=input.dtype)
    cols = Tensor(averaging_matrix(width, out_w).T, dtype=input.dtype)
    return rows @ input @ cols
