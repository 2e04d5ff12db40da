"""Pooling layers: gradcheck, tie-breaking, PyTorch parity, errors."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch.autograd import FunctionCtx, gradcheck
from tinytorch.spatial import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinytorch.spatial import functional as F
from tinytorch.spatial.functional.pooling import averaging_matrix, first_maximum_masks
from tinytorch.tensor import ShapeError, Tensor

RNG = np.random.default_rng(1)


def x64(*shape):
    # distinct values, so max pooling has no ties and finite differences are exact
    values = RNG.permutation(np.prod(shape)).reshape(shape) / 10.0
    return Tensor(values, dtype=np.float64, requires_grad=True)


MAX_CASES = [  # kernel, stride, padding, dilation
    (2, None, 0, 1), (3, 2, 1, 1), ((2, 3), (1, 2), (1, 0), 1), (2, 1, 0, 2),
]
AVG_CASES = [  # kernel, stride, padding, count_include_pad
    (2, None, 0, True), (3, 2, 1, True), (3, 2, 1, False), ((2, 3), 1, (1, 1), True),
]


@pytest.mark.parametrize("kernel, stride, padding, dilation", MAX_CASES)
def test_max_pool_gradcheck(kernel, stride, padding, dilation):
    x = x64(2, 2, 7, 6)
    assert gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding, dilation), x)


@pytest.mark.parametrize("kernel, stride, padding, count_include_pad", AVG_CASES)
def test_avg_pool_gradcheck(kernel, stride, padding, count_include_pad):
    x = x64(2, 2, 7, 6)
    assert gradcheck(
        lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad=count_include_pad), x
    )


@pytest.mark.parametrize("output_size", [1, (2, 3), (3, 2), (7, 6), (5, None)])
def test_adaptive_avg_pool_gradcheck(output_size):
    x = x64(2, 2, 7, 6)
    assert gradcheck(lambda t: F.adaptive_avg_pool2d(t, output_size), x)


def test_max_pool_gradient_goes_to_the_first_maximum_in_scan_order():
    x = Tensor(np.array([[[[1.0, 5.0], [5.0, 5.0]]]], dtype=np.float32), requires_grad=True)
    F.max_pool2d(x, 2).sum().backward()
    assert x.grad.data.tolist() == [[[[0.0, 1.0], [0.0, 0.0]]]]


def test_overlapping_max_windows_accumulate():
    x = Tensor(np.array([[[[0.0, 9.0, 0.0]]]], dtype=np.float32), requires_grad=True)
    out = F.max_pool2d(x, (1, 2), stride=1)  # both windows pick the 9
    out.sum().backward()
    assert out.data.tolist() == [[[[9.0, 9.0]]]]
    assert x.grad.data.tolist() == [[[[0.0, 2.0, 0.0]]]]


def test_max_pool_padding_is_never_the_maximum():
    # every pixel negative: a padding of zeros would win at the border windows
    x = Tensor(-1.0 - RNG.random((1, 2, 4, 5)), dtype=np.float64, requires_grad=True)
    out = F.max_pool2d(x, 3, stride=2, padding=1)
    padded = np.pad(x.data, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    expected = np.array([[[[padded[n, c, 2 * y:2 * y + 3, 2 * x_:2 * x_ + 3].max()
                            for x_ in range(3)] for y in range(2)] for c in range(2)]
                         for n in range(1)])
    np.testing.assert_array_equal(out.data, expected)
    out.sum().backward()
    assert x.grad.data.sum() == out.size   # each window's gradient reached a real pixel


def test_averaging_matrix_uses_pytorchs_overlapping_bins():
    # 5 -> 3: bins [0, 2), [1, 4), [3, 5)
    np.testing.assert_allclose(averaging_matrix(5, 3), [[1 / 2, 1 / 2, 0, 0, 0],
                                                        [0, 1 / 3, 1 / 3, 1 / 3, 0],
                                                        [0, 0, 0, 1 / 2, 1 / 2]])
    # 7 -> 2: bins [0, 4), [3, 7); 4 -> 4: the identity
    np.testing.assert_allclose(averaging_matrix(7, 2), [[1 / 4] * 4 + [0] * 3,
                                                        [0] * 3 + [1 / 4] * 4])
    np.testing.assert_array_equal(averaging_matrix(4, 4), np.eye(4))
    assert averaging_matrix(6, 4).dtype == np.float64


def test_avg_pool_without_counting_the_padding_divides_by_the_pixels_inside():
    x = Tensor(np.ones((1, 1, 3, 3), np.float32), requires_grad=True)
    out = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
    assert out.data.tolist() == [[[[1.0, 1.0], [1.0, 1.0]]]]   # a mean of ones is one
    counted = F.avg_pool2d(x, 3, stride=2, padding=1)
    np.testing.assert_allclose(counted.data, [[[[4 / 9, 4 / 9], [4 / 9, 4 / 9]]]], rtol=1e-6)
    out.sum().backward()
    # the centre pixel is in all four windows of 4 inside pixels, a corner in one
    np.testing.assert_allclose(x.grad.data[0, 0], [[1 / 4, 1 / 2, 1 / 4], [1 / 2, 1, 1 / 2],
                                                   [1 / 4, 1 / 2, 1 / 4]], rtol=1e-6)


def test_pooling_pads_rows_and_columns_by_their_own_amounts():
    # kernel (1, 3), padding (0, 1): rows untouched, one column of padding on each side
    x = Tensor(np.ones((1, 1, 2, 4), np.float32))
    inside = F.avg_pool2d(x, (1, 3), 1, (0, 1), count_include_pad=False)
    counted = F.avg_pool2d(x, (1, 3), 1, (0, 1))
    assert inside.data.tolist() == [[[[1.0] * 4] * 2]]
    np.testing.assert_allclose(counted.data, [[[[2 / 3, 1, 1, 2 / 3]] * 2]], rtol=1e-6)
    negative = Tensor(-np.arange(8, dtype=np.float32).reshape(1, 1, 2, 4))
    assert F.max_pool2d(negative, (1, 3), 1, (0, 1)).data.tolist() == \
        [[[[0.0, 0.0, -1.0, -2.0], [-4.0, -4.0, -5.0, -6.0]]]]


def test_adaptive_avg_pool_1x1_is_the_mean():
    x = Tensor(RNG.standard_normal((2, 3, 5, 4)).astype(np.float32))
    np.testing.assert_allclose(AdaptiveAvgPool2d(1)(x).data, x.data.mean(axis=(2, 3),
                                                                        keepdims=True), rtol=1e-5)


def test_modules_keep_float32_and_shapes():
    x = Tensor(RNG.standard_normal((2, 3, 8, 8)).astype(np.float32), requires_grad=True)
    for layer, shape in ((MaxPool2d(2), (2, 3, 4, 4)), (AvgPool2d(3, 1, 1), (2, 3, 8, 8)),
                         (AdaptiveAvgPool2d((2, 4)), (2, 3, 2, 4))):
        out = layer(x)
        out.sum().backward()
        assert out.shape == shape and out.dtype == np.float32
        assert x.grad.dtype == np.float32
        x.grad = None


def test_errors_name_the_layer():
    with pytest.raises(ShapeError, match=r"MaxPool2d\(kernel_size=\(2, 2\).*4-D input"):
        MaxPool2d(2)(Tensor(np.zeros((3, 8, 8), np.float32)))
    with pytest.raises(ShapeError, match=r"AvgPool2d\(kernel_size=\(5, 5\).*empty output"):
        AvgPool2d(5)(Tensor(np.zeros((1, 1, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="at most half"):
        MaxPool2d(2, padding=2)(Tensor(np.zeros((1, 1, 8, 8), np.float32)))


# ---------------------------------------------------------------- PyTorch parity

def _compare(ours, theirs, shape=(2, 3, 9, 8)):
    torch = pytest.importorskip("torch")
    data = RNG.standard_normal(shape)
    x = Tensor(data, dtype=np.float64, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out, expected = ours(x), theirs(tx)
    grad_out = RNG.standard_normal(out.shape)
    out.backward(grad_out)
    expected.backward(torch.tensor(grad_out))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kernel, stride, padding, dilation", MAX_CASES)
def test_max_pool_matches_pytorch(kernel, stride, padding, dilation):
    torch = pytest.importorskip("torch")
    _compare(MaxPool2d(kernel, stride, padding, dilation),
             torch.nn.MaxPool2d(kernel, stride, padding, dilation))


@pytest.mark.parametrize("kernel, stride, padding, count_include_pad", AVG_CASES)
def test_avg_pool_matches_pytorch(kernel, stride, padding, count_include_pad):
    torch = pytest.importorskip("torch")
    _compare(AvgPool2d(kernel, stride, padding, count_include_pad=count_include_pad),
             torch.nn.AvgPool2d(kernel, stride, padding, count_include_pad=count_include_pad))


@pytest.mark.parametrize("output_size", [1, (2, 3), (4, 3), (9, 8), (5, None)])
def test_adaptive_avg_pool_matches_pytorch(output_size):
    torch = pytest.importorskip("torch")
    _compare(AdaptiveAvgPool2d(output_size), torch.nn.AdaptiveAvgPool2d(output_size))


def max_pool_backward_by_loops(x, kernel, stride, grad_out):
    """Reference: each window sends its gradient to its first maximum, one window at a time."""
    grad = np.zeros_like(x)
    for n, c, y, x_out in np.ndindex(*grad_out.shape):
        window = x[n, c, y * stride:y * stride + kernel, x_out * stride:x_out * stride + kernel]
        i, j = np.unravel_index(np.argmax(window), window.shape)  # argmax: the first maximum
        grad[n, c, y * stride + i, x_out * stride + j] += grad_out[n, c, y, x_out]
    return grad


@pytest.mark.parametrize("kernel, stride", [(2, 2), (3, 3), (2, 3), (3, 2), (2, 1)])
def test_max_pool_backward_with_ties_matches_loops(kernel, stride):
    # Non-overlapping windows (stride >= kernel) write their gradient; overlapping ones add.
    # Few distinct values (as after a ReLU) make ties common; 7x8 leaves uncovered pixels.
    x = Tensor(RNG.integers(0, 3, (2, 3, 7, 8)).astype(np.float32), requires_grad=True)
    out = F.max_pool2d(x, kernel, stride)
    grad_out = RNG.standard_normal(out.shape).astype(np.float32)
    out.backward(grad_out)
    expected = max_pool_backward_by_loops(x.data, kernel, stride, grad_out)
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-6, atol=1e-6)


def test_first_maximum_masks_claim_each_window_once_in_scan_order():
    # windows of x: [1, 5 / 5, 5] ties three ways, [2, 0 / 0, 7] has one maximum
    x = np.array([[[[1.0, 5.0, 2.0, 0.0], [5.0, 5.0, 0.0, 7.0]]]], dtype=np.float32)
    out = np.array([[[[5.0, 7.0]]]], dtype=np.float32)
    indices = [np.s_[..., i::2, j::2] for i in range(2) for j in range(2)]
    masks = first_maximum_masks(x, out, indices)
    assert [m[0, 0, 0].tolist() for m in masks] == [
        [False, False], [True, False], [False, False], [False, True]]


def test_max_pool_keeps_no_masks_when_the_input_needs_no_gradient():
    ctx = FunctionCtx()
    ctx.needs_input_grad = (False,)
    x = RNG.standard_normal((2, 3, 8, 8)).astype(np.float32)
    out = F.MaxPool2dFunction.forward(ctx, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0),
                                      dilation=(1, 1))
    assert out.shape == (2, 3, 4, 4) and ctx.saved_tensors == ()
