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
