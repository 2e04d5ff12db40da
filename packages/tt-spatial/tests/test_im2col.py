"""The im2col helpers: padding, window overlap, im2col and col2im as adjoints."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch.spatial import im2col as I

RNG = np.random.default_rng(3)


@pytest.mark.parametrize("padding", [((0, 0), (0, 0)), ((1, 1), (1, 1)), ((0, 2), (1, 0))])
@pytest.mark.parametrize("value", [0.0, -np.inf])
def test_pad_hw_matches_numpy_pad_and_keeps_the_dtype(padding, value):
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    padded = I.pad_hw(x, padding, value)
    expected = np.pad(x, ((0, 0), (0, 0), *padding), constant_values=value)
    assert padded.dtype == np.float32
    np.testing.assert_array_equal(padded, expected)
    np.testing.assert_array_equal(I.unpad_hw(padded, padding), x)


def test_pad_hw_without_padding_returns_the_input_itself():
    x = np.ones((1, 1, 2, 2), np.float32)
    assert I.pad_hw(x, ((0, 0), (0, 0))) is x


@pytest.mark.parametrize("kernel, stride, dilation, overlap", [
    ((2, 2), (2, 2), (1, 1), False),   # MaxPool2d(2): windows tile the image
    ((3, 3), (3, 3), (1, 1), False),
    ((2, 2), (3, 3), (1, 1), False),   # gaps between windows
    ((3, 3), (2, 2), (1, 1), True),
    ((2, 2), (1, 1), (1, 1), True),
    ((2, 2), (2, 2), (2, 2), True),    # dilation spreads a window over 3 pixels
    ((1, 2), (1, 1), (1, 1), True),
])
def test_windows_overlap(kernel, stride, dilation, overlap):
    assert I.windows_overlap(kernel, stride, dilation) is overlap


@pytest.mark.parametrize("kernel, stride, dilation", [((3, 3), (1, 1), (1, 1)),
                                                      ((2, 3), (2, 1), (1, 2))])
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, dilation):
    # <im2col(x), c> == <x, col2im(c)> for every x and c: col2im is im2col's transpose.
    x = RNG.standard_normal((2, 3, 9, 8))
    columns = I.im2col(x, kernel, stride, dilation)
    out_hw = (I.windows(x, kernel, stride, dilation).shape[-2:])
    c = RNG.standard_normal(columns.shape)
    back = I.col2im(c, x.shape, kernel, stride, dilation, out_hw)
    assert np.isclose((columns * c).sum(), (x * back).sum())


@pytest.mark.parametrize("kernel, stride, dilation", [((3, 3), (1, 1), (1, 1)),
                                                      ((2, 3), (2, 1), (1, 2)),
                                                      ((2, 2), (3, 2), (2, 1))])
def test_windows_hold_each_window_as_the_formula_says_without_a_copy(kernel, stride, dilation):
    x = RNG.standard_normal((2, 3, 9, 8)).astype(np.float32)
    view = I.windows(x, kernel, stride, dilation)
    out_h = (9 - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    out_w = (8 - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    assert view.shape == (2, 3, *kernel, out_h, out_w) and view.dtype == np.float32
    assert np.shares_memory(view, x)
    for i, j, y, x_out in np.ndindex(*kernel, out_h, out_w):
        expected = x[:, :, y * stride[0] + i * dilation[0], x_out * stride[1] + j * dilation[1]]
        np.testing.assert_array_equal(view[:, :, i, j, y, x_out], expected)


def test_im2col_rows_are_channel_then_kernel_row_then_kernel_column():
    # The row order must match weight.reshape(C_out, -1): (c, i, j) -> c * kh * kw + i * kw + j.
    x = np.arange(2 * 4 * 5, dtype=np.float64).reshape(1, 2, 4, 5)
    columns = I.im2col(x, (2, 3), (1, 1), (1, 1))
    assert columns.shape == (1, 2 * 2 * 3, 3 * 3)
    for c, i, j, y, x_out in np.ndindex(2, 2, 3, 3, 3):
        assert columns[0, c * 6 + i * 3 + j, y * 3 + x_out] == x[0, c, y + i, x_out + j]


def test_col2im_adds_overlaps_and_leaves_pixels_no_window_reads_at_zero():
    # 1x5 image, kernel 2, stride 3: windows read pixels 0-1 and 3-4, pixel 2 by none.
    ones = np.ones((1, 1 * 1 * 2, 2))
    back = I.col2im(ones, (1, 1, 1, 5), (1, 2), (1, 3), (1, 1), (1, 2))
    assert back.tolist() == [[[[1.0, 1.0, 0.0, 1.0, 1.0]]]]
    # kernel 3, stride 1 on 1x5: the middle pixel is read by all three windows
    back = I.col2im(np.ones((1, 3, 3)), (1, 1, 1, 5), (1, 3), (1, 1), (1, 1), (1, 3))
    assert back.tolist() == [[[[1.0, 2.0, 3.0, 2.0, 1.0]]]]
    grouped = RNG.standard_normal((2, 2, 3 * 4, 6)).astype(np.float32)   # (N, G, C_g*kh*kw, L)
    flat = grouped.reshape(2, 2 * 3 * 4, 6)
    shape, kernel, out_hw = (2, 6, 3, 4), (2, 2), (2, 3)
    grouped_back = I.col2im(grouped, shape, kernel, (1, 1), (1, 1), out_hw)
    assert grouped_back.dtype == np.float32
    np.testing.assert_array_equal(grouped_back,
                                  I.col2im(flat, shape, kernel, (1, 1), (1, 1), out_hw))
