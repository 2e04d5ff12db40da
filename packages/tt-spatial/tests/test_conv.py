"""Conv2d and Conv1d: gradcheck, agreement with the naive loops, PyTorch parity, errors."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch.autograd import gradcheck
from tinytorch.spatial import Conv1d, Conv2d
from tinytorch.spatial import functional as F
from tinytorch.spatial.functional.conv import (
    convolve,
    input_gradient,
    input_gradient_by_convolution,
    transposable,
    weight_gradient,
)
from tinytorch.spatial.im2col import pad_hw
from tinytorch.spatial.shapes import pair, resolve_padding
from tinytorch.tensor import ShapeError, Tensor

RNG = np.random.default_rng(0)

# (N, C_in, H, W, C_out, kernel, stride, padding, dilation, groups)
GEOMETRIES = [
    (2, 3, 5, 6, 4, 3, 1, 0, 1, 1),
    (1, 2, 7, 5, 3, (3, 2), 2, 1, 1, 1),
    (2, 4, 6, 7, 4, 3, (1, 2), (1, 0), 2, 2),
    (1, 4, 5, 5, 6, 1, 1, 0, 1, 2),
    (1, 2, 5, 5, 2, 2, 1, "same", 1, 1),
    (1, 3, 4, 6, 2, 3, 1, "valid", 1, 1),
    (2, 4, 7, 6, 4, 3, 1, 1, 2, 2),         # stride 1: input gradient by a convolution
    (1, 3, 6, 5, 4, (3, 2), 1, (3, 1), 1, 1),  # stride 1, padding 3 > k - 1 rows: col2im
    (1, 2, 4, 4, 3, 1, 1, 1, 1, 1),         # 1x1 kernel, padding 1: col2im
]


def tensors(geometry, dtype=np.float64, requires_grad=True):
    n, c, h, w, o, k, _, _, _, g = geometry
    kh, kw = (k, k) if isinstance(k, int) else k
    x = Tensor(RNG.standard_normal((n, c, h, w)), dtype=dtype, requires_grad=requires_grad)
    weight = Tensor(RNG.standard_normal((o, c // g, kh, kw)), dtype=dtype,
                    requires_grad=requires_grad)
    bias = Tensor(RNG.standard_normal(o), dtype=dtype, requires_grad=requires_grad)
    return x, weight, bias


def convolution_by_offsets(x, weight, bias, stride, padding, dilation, groups):
    """The module formula summed one group and one kernel offset (i, j) at a time (no loops
    over pixels), written independently of the package: the reference for conv2d_naive."""
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    c_out, c_group, kh, kw = weight.shape
    pads = resolve_padding(padding, (kh, kw), (sh, sw), (dh, dw))
    padded = np.pad(x, ((0, 0), (0, 0), *pads))
    out_h = (padded.shape[2] - dh * (kh - 1) - 1) // sh + 1
    out_w = (padded.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((x.shape[0], c_out, out_h, out_w))
    per_group = c_out // groups
    for g in range(groups):
        image, outputs = padded[:, g * c_group:(g + 1) * c_group], slice(g * per_group,
                                                                         (g + 1) * per_group)
        for i, j in np.ndindex(kh, kw):
            view = image[:, :, i * dh:i * dh + sh * (out_h - 1) + 1:sh,
                         j * dw:j * dw + sw * (out_w - 1) + 1:sw]
            out[:, outputs] += np.einsum("nchw,oc->nohw", view, weight[outputs, :, i, j])
    return out if bias is None else out + bias[None, :, None, None]


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_naive_convolution_follows_the_formula(geometry):
    x, weight, bias = tensors(geometry, requires_grad=False)
    stride, padding, dilation, groups = geometry[6:]
    got = F.conv2d_naive(x.data, weight.data, bias.data, stride, padding, dilation, groups)
    expected = convolution_by_offsets(x.data, weight.data, bias.data, stride, padding, dilation,
                                      groups)
    assert got.shape == expected.shape and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    no_bias = F.conv2d_naive(x.data.astype(np.float32), weight.data, None, stride, padding,
                             dilation, groups)
    assert no_bias.dtype == np.float32
    np.testing.assert_allclose(no_bias, expected - bias.data[None, :, None, None], rtol=1e-4,
                               atol=1e-4)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_naive_backward_matches_finite_differences_of_the_formula(geometry):
    # L = <conv(x, w, b), G> is linear in each of x, w, b: a central difference is exact
    # up to rounding, checked at every entry of each.
    x, weight, bias = (t.data for t in tensors(geometry, requires_grad=False))
    stride, padding, dilation, groups = geometry[6:]
    out = convolution_by_offsets(x, weight, bias, stride, padding, dilation, groups)
    grad_out = RNG.standard_normal(out.shape)
    grads = F.conv2d_naive_backward(x, weight, grad_out, stride, padding, dilation, groups)
    for position, (array, grad) in enumerate(zip((x, weight, bias), grads, strict=True)):
        assert grad.shape == array.shape, position
        expected = np.zeros_like(array)
        for index in np.ndindex(*array.shape):
            step = np.zeros_like(array)
            step[index] = 0.5
            up = [a + step if k == position else a for k, a in enumerate((x, weight, bias))]
            down = [a - step if k == position else a for k, a in enumerate((x, weight, bias))]
            difference = convolution_by_offsets(*up, stride, padding, dilation, groups) \
                - convolution_by_offsets(*down, stride, padding, dilation, groups)
            expected[index] = (difference * grad_out).sum()
        np.testing.assert_allclose(grad, expected, rtol=1e-9, atol=1e-9, err_msg=str(position))


def read_only(array):
    array = array.copy()
    array.setflags(write=False)
    return array


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_input_and_weight_gradients_match_the_loops(geometry):
    # input_gradient (col2im) for every geometry, also those whose backward takes the
    # stride-1 route; the incoming gradient is read-only.
    x, weight, _ = (t.data for t in tensors(geometry, requires_grad=False))
    stride, padding, dilation, groups = geometry[6:]
    stride, dilation = pair(stride), pair(dilation)
    explicit = resolve_padding(padding, weight.shape[2:], stride, dilation)
    x_padded = pad_hw(x, explicit)
    out, columns = convolve(x_padded, weight, stride, dilation, groups)
    grad_out = read_only(RNG.standard_normal(out.shape))
    grad_x, grad_weight, _ = F.conv2d_naive_backward(x, weight, grad_out, stride, padding,
                                                     dilation, groups)
    got_x = input_gradient(grad_out, weight, x_padded.shape, explicit, stride, dilation, groups)
    got_weight = weight_gradient(grad_out, columns, weight.shape, groups)
    assert got_x.shape == x.shape and got_weight.shape == weight.shape
    np.testing.assert_allclose(got_x, grad_x, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got_weight, grad_weight, rtol=1e-10, atol=1e-10)


def test_convolve_returns_the_grouped_columns_and_keeps_float32():
    x = RNG.standard_normal((2, 4, 6, 5)).astype(np.float32)
    weight = RNG.standard_normal((6, 2, 3, 2)).astype(np.float32)
    out, columns = convolve(x, weight, (2, 1), (1, 2), 2)
    assert out.shape == (2, 6, 2, 3) and out.dtype == np.float32
    assert columns.shape == (2, 2, 2 * 3 * 2, 2 * 3) and columns.dtype == np.float32
    np.testing.assert_allclose(out, convolution_by_offsets(x, weight, None, (2, 1), 0, (1, 2), 2),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv2d_gradcheck(geometry):
    x, weight, bias = tensors(geometry)
    stride, padding, dilation, groups = geometry[6:]
    assert gradcheck(lambda a, b, c: F.conv2d(a, b, c, stride, padding, dilation, groups),
                     x, weight, bias)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_vectorized_and_naive_convolutions_agree(geometry):
    x, weight, bias = tensors(geometry, np.float32, requires_grad=False)
    stride, padding, dilation, groups = geometry[6:]
    fast = F.conv2d(x, weight, bias, stride, padding, dilation, groups).data
    slow = F.conv2d_naive(x.data, weight.data, bias.data, stride, padding, dilation, groups)
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_naive_backward_agrees_with_autograd(geometry):
    x, weight, bias = tensors(geometry)
    stride, padding, dilation, groups = geometry[6:]
    out = F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    grad_out = RNG.standard_normal(out.shape)
    out.backward(grad_out)
    grads = F.conv2d_naive_backward(x.data, weight.data, grad_out, stride, padding, dilation,
                                    groups)
    for expected, got in zip(grads, (x.grad, weight.grad, bias.grad), strict=True):
        np.testing.assert_allclose(got.data, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_padding_modes_gradcheck(mode):
    conv = Conv2d(2, 3, 3, padding=(1, 2), padding_mode=mode).double()
    x = Tensor(RNG.standard_normal((1, 2, 4, 5)), dtype=np.float64, requires_grad=True)
    assert gradcheck(lambda a, w, b: conv(a), x, conv.weight, conv.bias)


def test_conv1d_gradcheck_and_shape():
    x = Tensor(RNG.standard_normal((2, 3, 9)), dtype=np.float64, requires_grad=True)
    w = Tensor(RNG.standard_normal((4, 3, 3)), dtype=np.float64, requires_grad=True)
    assert F.conv1d(x, w, stride=2, padding=1).shape == (2, 4, 5)
    assert gradcheck(lambda a, b: F.conv1d(a, b, stride=2, padding=1, dilation=2), x, w)
    assert Conv1d(3, 5, 3, padding="same")(Tensor(np.ones((2, 3, 9), np.float32))).shape == \
        (2, 5, 9)


@pytest.mark.parametrize("stride, padding, dilation, groups", [(1, 0, 1, 1), (2, 1, 2, 1),
                                                              (1, "same", 1, 2)])
def test_conv1d_layer_is_the_formula_along_its_one_axis(stride, padding, dilation, groups):
    layer = Conv1d(4, 6, 3, stride=stride, padding=padding, dilation=dilation,
                   groups=groups).double()
    x = Tensor(RNG.standard_normal((2, 4, 11)), dtype=np.float64, requires_grad=True)
    out = layer(x)
    pads = padding if isinstance(padding, str) else (0, padding)
    expected = convolution_by_offsets(x.data[:, :, None], layer.weight.data[:, :, None],
                                      layer.bias.data, (1, stride), pads, (1, dilation),
                                      groups)[:, :, 0]
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a, w, b: layer(a), x, layer.weight, layer.bias)


def test_float32_in_float32_out():
    conv = Conv2d(3, 4, 3)
    x = Tensor(RNG.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    out = conv(x)
    out.sum().backward()
    assert out.dtype == np.float32
    assert x.grad.dtype == conv.weight.grad.dtype == conv.bias.grad.dtype == np.float32


def test_default_init_bounds():
    # fan_in counts the input channels of one group: 4 // 2 channels times the 3 x 5 kernel.
    # With 400 biases and 12000 weights uniform on (-b, b), the largest is above 0.9 b
    # (a smaller bound from the wrong fan would fail that, a larger one the first check).
    conv = Conv2d(4, 400, (3, 5), groups=2)
    bound = 1 / np.sqrt(4 // 2 * 3 * 5)
    assert conv.weight.shape == (400, 2, 3, 5)
    for values in (conv.weight.data, conv.bias.data):
        assert 0.9 * bound < np.abs(values).max() <= bound
        assert abs(values.mean()) < bound / 4   # centred on 0


def test_no_bias():
    conv = Conv2d(2, 3, 3, bias=False)
    assert conv.bias is None
    assert [name for name, _ in conv.named_parameters()] == ["weight"]


@pytest.mark.parametrize("shape, message", [
    ((1, 3, 4, 4), r"Conv2d\(3, 8, kernel_size=\(5, 5\)\): input of shape \(1, 3, 4, 4\) "
                   r"gives an empty output"),
    ((1, 4, 8, 8), r"expected input of shape \(N, 3, H, W\) with 3 channels, "
                   r"got shape \(1, 4, 8, 8\)"),
    ((3, 8, 8), r"Conv2d\(3, 8, kernel_size=\(5, 5\)\): expected a 4-D input of shape "
                r"\(N, 3, H, W\), got shape \(3, 8, 8\)"),
])
def test_errors_name_the_layer_and_the_expected_shape(shape, message):
    with pytest.raises(ShapeError, match=message):
        Conv2d(3, 8, 5)(Tensor(np.zeros(shape, np.float32)))


def test_constructor_errors():
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2d(3, 8, 3, groups=2)
    with pytest.raises(ValueError, match="'same' needs stride 1"):
        Conv2d(3, 8, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        Conv2d(3, 8, 3, padding_mode="mirror")
    with pytest.raises(ShapeError, match=r"Conv1d\(3, 4, kernel_size=\(3,\)\): expected a 3-D"):
        Conv1d(3, 4, 3)(Tensor(np.zeros((1, 3, 5, 5), np.float32)))


def test_repr_reads_like_pytorch():
    assert repr(Conv2d(3, 8, 3, stride=2, padding=1, bias=False)) == \
        "Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"


# ---------------------------------------------------------------- PyTorch parity

@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv2d_matches_pytorch(geometry):
    torch = pytest.importorskip("torch")
    x, weight, bias = tensors(geometry)
    stride, padding, dilation, groups = geometry[6:]
    out = F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    grad_out = RNG.standard_normal(out.shape)
    out.backward(grad_out)
    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, weight, bias))
    expected = torch.nn.functional.conv2d(tx, tw, tb, stride, padding, dilation, groups)
    expected.backward(torch.tensor(grad_out))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    for ours, theirs in ((x, tx), (weight, tw), (bias, tb)):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
def test_padding_modes_match_pytorch(mode):
    torch = pytest.importorskip("torch")
    ours = Conv2d(2, 3, 3, padding=1, padding_mode=mode).double()
    theirs = torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data))
    x = RNG.standard_normal((2, 2, 5, 4))
    np.testing.assert_allclose(ours(Tensor(x, dtype=np.float64)).data,
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- the input gradient's two routes

STRIDE_1 = [  # (N, C_in, H, W, C_out, kernel, padding, dilation, groups)
    (2, 3, 6, 5, 4, 3, 1, (1, 1), 1),
    (1, 4, 7, 6, 6, (3, 2), "same", (2, 1), 2),   # asymmetric: ((2, 2), (0, 1))
    (2, 2, 5, 5, 8, 3, (2, 0), (1, 1), 1),
    (1, 6, 5, 4, 3, 1, 0, (1, 1), 3),
]


@pytest.mark.parametrize("geometry", STRIDE_1)
def test_input_gradient_by_convolution_matches_the_loops(geometry):
    n, c, h, w, o, k, padding, dilation, groups = geometry
    kh, kw = (k, k) if isinstance(k, int) else k
    x = RNG.standard_normal((n, c, h, w))
    weight = RNG.standard_normal((o, c // groups, kh, kw))
    out = F.conv2d_naive(x, weight, None, 1, padding, dilation, groups)
    grad_out = RNG.standard_normal(out.shape)
    expected, _, _ = F.conv2d_naive_backward(x, weight, grad_out, 1, padding, dilation, groups)
    explicit = resolve_padding(padding, (kh, kw), (1, 1), dilation)
    got = input_gradient_by_convolution(grad_out, weight, explicit, dilation, groups)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


def test_transposable_needs_stride_1_a_small_padding_and_few_output_channels():
    same = ((1, 1), (1, 1))
    assert transposable((16, 16, 3, 3), (1, 1), same, (1, 1), 1)
    assert transposable((64, 32, 3, 3), (1, 1), same, (1, 1), 1)       # C_out = 2 C_in
    assert not transposable((32, 3, 3, 3), (1, 1), same, (1, 1), 1)    # C_out > 2 C_in
    assert not transposable((16, 16, 3, 3), (2, 2), same, (1, 1), 1)   # stride 2
    assert not transposable((16, 16, 1, 1), (1, 1), same, (1, 1), 1)   # padding > k - 1
    assert transposable((16, 8, 3, 3), (1, 1), same, (1, 1), 2)        # per group: 8 -> 8
