"""im2col and col2im: a convolution becomes one batched matrix multiply.

A window op reads, for every output pixel (y, x) and kernel offset (i, j),
the padded input pixel

    x_pad[n, c, y * stride_h + i * dilation_h, x * stride_w + j * dilation_w]

For a fixed offset (i, j) those pixels form a *strided view* of ``x_pad``:
rows ``i * dilation_h, i * dilation_h + stride_h, ...`` and the same for
columns (``offset_slices`` and ``kernel_views`` give their indexes). NumPy
gives such views for free (no copy), which is what makes convolution and
pooling fast without a loop over pixels:

- ``windows`` is every window at once, a read-only view (N, C, kh, kw, H_out, W_out);
- ``im2col`` copies it into columns (N, C * kh * kw, H_out * W_out), so a
  convolution is ``weight (C_out, C * kh * kw) @ columns``, already NCHW;
- ``col2im`` is im2col's adjoint, for the backward pass: each column entry goes
  back to the pixel it was read from, and a pixel read by several windows
  collects the sum;
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


def add_masked_to_view(image: np.ndarray, index: tuple, values: np.ndarray, mask: np.ndarray,
                       *, overlap: bool) -> None:
    """``image[index] += values * mask``, for a zero-initialised ``image`` visited view by view.

    When windows do not overlap (``windows_overlap`` is False) each pixel lies in one
    view at most, so it still holds 0 when its view comes: the product is written
    straight into the view, without a temporary (MaxPool2d(2)'s backward, 1.4-1.6x
    faster). Otherwise it is added.
    """
    if overlap:
        add_to_view(image, index, values * mask)
    else:
        np.multiply(values, mask, out=image[index])


def windows(x_padded: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair) -> np.ndarray:
    """Every window of ``x_padded`` as one view of shape (N, C, kh, kw, H_out, W_out).

    ``windows[n, c, i, j, y, x] == x_padded[n, c, y*sh + i*dh, x*sw + j*dw]`` for
    kernel ``(kh, kw)``, stride ``(sh, sw)`` and dilation ``(dh, dw)``, with
    ``(H_out, W_out) = shapes.output_hw(x_padded.shape[2:], kernel, stride,
    ((0, 0), (0, 0)), dilation)`` (the input is already padded). Any dtype; the
    result has x_padded's dtype. It is a view: no data is copied (it may be
    read-only), so it costs nothing however large the kernel.
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
    ``(c, i, j)`` multiplies (channel first, then kernel row, then kernel
    column: the order of ``weight.reshape(C_out, -1)``), and column
    ``y * W_out + x`` is output pixel (y, x), so ``weight.reshape(C_out, -1) @
    columns`` is the convolution. The reshape of the (N, C, kh, kw, H_out,
    W_out) windows is the one copy.
    """
    n, c = x_padded.shape[:2]
    view = windows(x_padded, kernel, stride, dilation)
    return view.reshape(n, c * kernel[0] * kernel[1], -1)


def col2im(columns: np.ndarray, padded_shape: tuple[int, ...], kernel: Pair, stride: Pair,
           dilation: Pair, out_hw: Pair) -> np.ndarray:
    """The adjoint of ``im2col``: every column entry added back into the pixel it was read from.

    Args:
        columns: (N, C * kh * kw, H_out * W_out), rows and columns in ``im2col``'s
            order, or any array with those N * C * kh * kw * H_out * W_out values
            in that order, such as (N, G, C_g * kh * kw, H_out * W_out) or
            (N, C, kh, kw, H_out, W_out).
        padded_shape: (N, C, H_pad, W_pad), the shape of the padded input.
        kernel: as ``im2col``'s.
        stride: as ``im2col``'s.
        dilation: as ``im2col``'s.
        out_hw: (H_out, W_out), the number of windows along each axis.

    Returns:
        A new array of ``padded_shape`` and ``columns``' dtype, with
        ``<im2col(x), columns> == <x, col2im(columns)>`` for every x: a pixel
        that several windows read collects the sum of their entries, a pixel
        no window reads (a stride larger than the kernel) stays 0.
    """
    # BEGIN SOLUTION
    n, c = padded_shape[:2]
    blocks = columns.reshape(n, c, kernel[0], kernel[1], out_hw[0], out_hw[1])
    image = np.zeros(padded_shape, dtype=columns.dtype)
    for (i, j), index in kernel_views(kernel, stride, dilation, out_hw):
        add_to_view(image, index, blocks[:, :, i, j])
    return image
    # END SOLUTION
