"""im2col and col2im: a convolution becomes one batched matrix multiply.

A window op reads, for every output pixel (y, x) and kernel offset (i, j),
the padded input pixel

    x_pad[n, c, y * stride_h + i * dilation_h, x * stride_w + j * dilation_w]

For a fixed offset (i, j) those pixels form a *strided view* of ``x_pad``:
rows ``i * dilation_h, i * dilation_h + stride_h, ...`` and the same for
columns. NumPy gives those views for free (no copy), which is what makes
convolution and pooling fast without a loop over pixels:

- ``im2col`` copies the views into columns of shape (N, C * kh * kw, H_out * W_out),
  so a convolution is ``weight (C_out, C * kh * kw) @ columns``, already NCHW;
- ``col2im`` does the reverse for the backward pass: it adds each offset's
  gradient into its strided view of the padded input (kh * kw strided adds);
- pooling reduces the kh * kw views with ``np.maximum`` or a sum.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .shapes import Padding2d, Pair


def pad_hw(x: np.ndarray, padding: Padding2d, value: float = 0.0) -> np.ndarray:
    """Pad the last two axes of an NCHW array with ``value`` (no copy when there is no padding).

    The padded array is filled with ``value`` and ``x`` is written into its
    interior once (``np.pad`` does the same work with more overhead).
    """
    if padding == ((0, 0), (0, 0)):
        return x
    (top, bottom), (left, right) = padding
    height, width = x.shape[-2:]
    padded = np.full((*x.shape[:-2], top + height + bottom, left + width + right), value,
                     dtype=x.dtype)
    unpad_hw(padded, padding)[...] = x
    return padded


def unpad_hw(x_padded: np.ndarray, padding: Padding2d) -> np.ndarray:
    """The inverse of ``pad_hw``: the unpadded interior (a view)."""
    (top, bottom), (left, right) = padding
    height, width = x_padded.shape[-2:]
    return x_padded[..., top:height - bottom, left:width - right]


def offset_slices(offset: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> tuple:
    """The index of the strided view that kernel offset ``(i, j)`` reads for every output pixel.

    ``x_pad[offset_slices(...)]`` has shape (N, C, H_out, W_out) and holds
    ``x_pad[n, c, y * stride_h + i * dilation_h, x * stride_w + j * dilation_w]``.
    """
    rows = _axis_slice(offset[0], stride[0], dilation[0], out_hw[0])
    cols = _axis_slice(offset[1], stride[1], dilation[1], out_hw[1])
    return (Ellipsis, rows, cols)


def _axis_slice(offset: int, stride: int, dilation: int, out_len: int) -> slice:
    start = offset * dilation
    return slice(start, start + stride * (out_len - 1) + 1, stride)


def kernel_views(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> Iterator[tuple]:
    """``((i, j), index)`` for every kernel offset, in scan order (row by row)."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield (i, j), offset_slices((i, j), stride, dilation, out_hw)


def add_to_view(image: np.ndarray, index: tuple, values: np.ndarray) -> None:
    """``image[index] += values`` for a strided view, without a temporary copy of the view."""
    view = image[index]
    np.add(view, values, out=view)


def windows_overlap(kernel: Pair, stride: Pair, dilation: Pair) -> bool:
    """Whether two windows can share a pixel: some kernel span is wider than its stride.

    Without overlap every padded pixel belongs to at most one window, so a
    backward pass may *write* each offset's gradient into its view instead of
    adding it to zeros.
    """
    spans = (dilation[0] * (kernel[0] - 1) + 1, dilation[1] * (kernel[1] - 1) + 1)
    return spans[0] > stride[0] or spans[1] > stride[1]


def windows(x_padded: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """Every window of ``x_padded`` as a read-only view of shape (N, C, kh, kw, H_out, W_out).

    ``windows[n, c, i, j, y, x] = x_pad[n, c, y*sh + i*dh, x*sw + j*dw]``; no data is copied.
    """
    # BEGIN SOLUTION
    span_h = dilation[0] * (kernel[0] - 1) + 1
    span_w = dilation[1] * (kernel[1] - 1) + 1
    view = sliding_window_view(x_padded, (span_h, span_w), axis=(2, 3))
    view = view[:, :, :: stride[0], :: stride[1], :: dilation[0], :: dilation[1]]
    return view.transpose(0, 1, 4, 5, 2, 3)
    # END SOLUTION


def im2col(x_padded: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """Columns of shape (N, C * kh * kw, H_out * W_out): one column per output pixel.

    Row ``c * kh * kw + i * kw + j`` holds the input pixels that kernel weight
    ``(c, i, j)`` multiplies, so ``weight.reshape(C_out, -1) @ columns`` is the
    convolution.
    """
    # BEGIN SOLUTION
    n, c = x_padded.shape[:2]
    view = windows(x_padded, kernel, stride, dilation)
    return view.reshape(n, c * kernel[0] * kernel[1], -1)  # the one copy
    # END SOLUTION


def col2im(columns: np.ndarray, padded_shape: tuple[int, ...], kernel: Pair, stride: Pair,
           dilation: Pair, out_hw: Pair) -> np.ndarray:
    """The adjoint of ``im2col``: sum each column entry back into the pixel it came from.

    Args:
        columns: (N, C * kh * kw, H_out * W_out) or (N, C, kh, kw, H_out, W_out).
        padded_shape: (N, C, H_pad, W_pad), the shape of the padded input.

    Returns:
        An array of ``padded_shape``. Overlapping windows add up, one strided
        add per kernel offset.
    """
    # BEGIN SOLUTION
    n, c = padded_shape[:2]
    blocks = columns.reshape(n, c, kernel[0], kernel[1], out_hw[0], out_hw[1])
    image = np.zeros(padded_shape, dtype=columns.dtype)
    for (i, j), index in kernel_views(kernel, stride, dilation, out_hw):
        add_to_view(image, index, blocks[:, :, i, j])
    return image
    # END SOLUTION
