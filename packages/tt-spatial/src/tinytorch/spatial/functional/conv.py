"""Convolution as a tt-autograd Function: im2col forward, col2im backward.

For input x (N, C_in, H, W), weight w (C_out, C_in / groups, kh, kw) and bias b,

    out[n, o, y, x] = b[o]
        + sum_{c, i, j} w[o, c, i, j] * x_pad[n, g*C_g + c, y*sh + i*dh, x*sw + j*dw]

where g = o // (C_out / groups) is the group of output channel o and C_g = C_in / groups.
With the columns X of ``im2col`` (one per output pixel), this is one batched
matrix multiply per group:  out = W X + b  (``convolve``). The backward has
one function per input: ``input_gradient`` (through col2im) and
``weight_gradient``; the bias gradient is the given worked example in
``Conv2dFunction.backward``. For stride 1 the backward takes a faster route
for the input gradient, ``input_gradient_by_convolution`` (given, tested
against the same loops).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from tinytorch.autograd import Function
from tinytorch.autograd import requires_grad as _needs_grad
from tinytorch.tensor import ShapeError, Tensor

from ..im2col import col2im, im2col, pad_hw, unpad_hw
from ..shapes import (
    Padding2d,
    Pair,
    check_nchw,
    check_output_hw,
    check_positive,
    output_hw,
    pair,
    resolve_padding,
)
from .padding import pad

PADDING_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate",
                 "circular": "circular"}


class Conv2dFunction(Function):
    """2-D cross-correlation (what deep learning calls convolution) with groups.

    Inputs are NumPy arrays; the geometry comes as keyword arguments
    (``stride``, ``padding`` as ((top, bottom), (left, right)), ``dilation``, ``groups``).
    The forward and backward are given: they show how the three functions you
    write (``convolve``, ``input_gradient``, ``weight_gradient``) fit together.
    """

    @staticmethod
    def flops(inputs, params, outputs):
        """2 out.size (C_in / groups) kh kw, a dot product per output pixel (+ out.size, bias).

        Backward: one product of that size per input that needs a gradient.
        """
        x, weight, bias = inputs
        out_size = math.prod(outputs[0].shape)
        product = 2 * out_size * math.prod(weight.shape[1:])
        bias_flops = out_size if bias is not None else 0
        grads = _needs_grad(x) + _needs_grad(weight)
        return product + bias_flops, product * grads + bias_flops * _needs_grad(bias)

    @staticmethod
    def forward(ctx, x, weight, bias, *, stride: Pair, padding: Padding2d, dilation: Pair,
                groups: int):
        x_padded = pad_hw(x, padding)
        out, columns = convolve(x_padded, weight, stride, dilation, groups)
        if bias is not None:
            out += bias.reshape(1, -1, 1, 1)
        ctx.save_for_backward(columns, weight)
        ctx.geometry = (x_padded.shape, padding, stride, dilation, groups)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        columns, weight = ctx.saved_tensors
        padded_shape, padding, stride, dilation, groups = ctx.geometry
        need_x, need_weight, need_bias = ctx.needs_input_grad
        grad_x = grad_weight = grad_bias = None
        if need_x:
            if transposable(weight.shape, stride, padding, dilation, groups):  # the fast route
                grad_x = input_gradient_by_convolution(grad_out, weight, padding, dilation,
                                                       groups)
            else:
                grad_x = input_gradient(grad_out, weight, padded_shape, padding, stride,
                                        dilation, groups)
        if need_weight:
            grad_weight = weight_gradient(grad_out, columns, weight.shape, groups)
        if need_bias:  # every pixel of every image added b[o]: the batch first, then the rows
            grad_bias = grad_out.sum(axis=0).reshape(grad_out.shape[1], -1).sum(axis=1)
        return grad_x, grad_weight, grad_bias


def convolve(x_padded: np.ndarray, weight: np.ndarray, stride: Pair, dilation: Pair,
             groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The convolution of an already padded batch, without bias, as matrix products.

    Args:
        x_padded: (N, C_in, H_pad, W_pad), padding already applied.
        weight: (C_out, C_in / groups, kh, kw); output channels are split into
            ``groups`` consecutive blocks, block g sees input channels
            g * C_g to (g + 1) * C_g - 1 only (C_g = C_in / groups).
        stride: a pair (rows, columns).
        dilation: a pair (rows, columns).
        groups: divides C_in and C_out (checked by the caller).

    Returns:
        ``(out, columns)``: ``out`` (N, C_out, H_out, W_out) as the formula of
        this module (without b), with H_out, W_out from ``shapes.output_hw`` with
        zero padding; ``columns`` = ``im2col(x_padded, ...)`` viewed as
        (N, groups, C_g * kh * kw, H_out * W_out), which the backward reads
        (``weight_gradient``). Both have x_padded's dtype (float32 stays
        float32). Use ``im2col`` and NumPy matrix products, no loop over pixels.
    """
    # BEGIN SOLUTION
    n, c_out = x_padded.shape[0], weight.shape[0]
    columns = im2col(x_padded, weight.shape[2:], stride, dilation)     # (N, C*kh*kw, L)
    columns = columns.reshape(n, groups, -1, columns.shape[-1])         # (N, G, C_g*kh*kw, L)
    w = weight.reshape(groups, c_out // groups, -1)                     # (G, O_g, C_g*kh*kw)
    out_hw = output_hw(x_padded.shape[2:], weight.shape[2:], stride, ((0, 0), (0, 0)),
                       dilation)
    return np.matmul(w, columns).reshape(n, c_out, *out_hw), columns    # already NCHW
    # END SOLUTION


def input_gradient(grad_out: np.ndarray, weight: np.ndarray, padded_shape: tuple[int, ...],
                   padding: Padding2d, stride: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """dL/dx of the convolution, for any stride, padding, dilation and groups.

    Args:
        grad_out: dL/dout, (N, C_out, H_out, W_out); read-only (never write into it).
        weight: (C_out, C_in / groups, kh, kw).
        padded_shape: (N, C_in, H_pad, W_pad), the shape of the padded input.
        padding: ((top, bottom), (left, right)), the zeros the forward added.
        stride: the forward's.
        dilation: the forward's.
        groups: the forward's.

    Returns:
        A new array of the unpadded input's shape (N, C_in, H, W) and grad_out's
        dtype: the gradient of the padding pixels is dropped (they are not
        inputs). Input pixels that no window covers get 0. Use ``col2im``, no
        loop over pixels.
    """
    # BEGIN SOLUTION
    n, c_out = grad_out.shape[:2]
    g = grad_out.reshape(n, groups, c_out // groups, -1)                # (N, G, O_g, L)
    w = weight.reshape(groups, c_out // groups, -1)                     # (G, O_g, C_g*kh*kw)
    grad_columns = np.matmul(w.swapaxes(1, 2), g)                       # (N, G, C_g*kh*kw, L)
    grad_padded = col2im(grad_columns, padded_shape, weight.shape[2:], stride, dilation,
                         grad_out.shape[2:])
    return unpad_hw(grad_padded, padding)
    # END SOLUTION


def weight_gradient(grad_out: np.ndarray, columns: np.ndarray, weight_shape: tuple[int, ...],
                    groups: int) -> np.ndarray:
    """dL/dweight of the convolution, from the forward's columns.

    Args:
        grad_out: dL/dout, (N, C_out, H_out, W_out); read-only.
        columns: what ``convolve`` returned, (N, groups, C_g * kh * kw, H_out * W_out).
        weight_shape: (C_out, C_g, kh, kw).
        groups: the forward's.

    Returns:
        A new array of ``weight_shape`` and grad_out's dtype. Every image of
        the batch used the same weight: their contributions add up (a sum over
        the batch, not a mean).
    """
    # BEGIN SOLUTION
    n, c_out = grad_out.shape[:2]
    g = grad_out.reshape(n, groups, c_out // groups, -1)                # (N, G, O_g, L)
    # X dL/dout^T per image, (N, G, C_g*kh*kw, O_g): BLAS runs this orientation
    # about 1.7x faster than dL/dout X^T when O_g is small (16 or 32 channels).
    per_image = np.matmul(columns, g.swapaxes(2, 3))
    return per_image.sum(axis=0).swapaxes(1, 2).reshape(weight_shape)
    # END SOLUTION


def transposable(weight_shape, stride: Pair, padding: Padding2d, dilation: Pair,
                 groups: int) -> bool:
    """Whether the input gradient should be ``input_gradient_by_convolution``.

    It applies with stride 1 and p <= d (k - 1) on every side (a larger padding
    would need a negative padding of the output gradient), and it is the faster
    route when C_out <= 2 C_in (per group): its columns hold C_out * kh * kw
    rows where col2im's column gradient holds C_in * kh * kw and is then added
    back kh * kw times (measured on 64 images: about 2x faster at 16 -> 16
    channels, about 10% at 32 -> 64, 2x slower at 3 -> 32).
    """
    c_out, c_group, kh, kw = weight_shape
    spans = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
    fits = all(p <= span for pads, span in zip(padding, spans, strict=True) for p in pads)
    return stride == (1, 1) and fits and c_out // groups <= 2 * c_group


def input_gradient_by_convolution(grad_out: np.ndarray, weight: np.ndarray, padding: Padding2d,
                                  dilation: Pair, groups: int) -> np.ndarray:
    """dL/dx of a stride-1 convolution, as the convolution of dL/dout with the flipped kernel.

    The output gradient is padded by d (k - 1) - p on each side; the kernel of
    each group is flipped in both axes and its (O_g, C_g) axes swapped.
    """
    c_out, c_group, kh, kw = weight.shape
    spans = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
    full = tuple((span - before, span - after) for (before, after), span
                 in zip(padding, spans, strict=True))
    flipped = weight[:, :, ::-1, ::-1].reshape(groups, c_out // groups, c_group, kh, kw)
    flipped = flipped.swapaxes(1, 2).reshape(groups * c_group, c_out // groups, kh, kw)
    grad_x, _ = convolve(pad_hw(grad_out, full), flipped, (1, 1), dilation, groups)
    return grad_x


def conv2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | Sequence[int] = 1,
    padding: int | Sequence[int] | str = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    *,
    layer: str = "conv2d",
) -> Tensor:
    r"""2-D convolution (cross-correlation) over an NCHW batch, as ``torch.nn.functional.conv2d``.

    $$
    \text{out}(N_i, C_{out_j}) = \text{bias}(C_{out_j})
        + \sum_{k=0}^{C_{in}/G - 1} \text{weight}(C_{out_j}, k) \star \text{input}(N_i, k)
    $$

    Args:
        input: (N, C_in, H, W).
        weight: (C_out, C_in / groups, kh, kw).
        bias: (C_out,) or None.
        stride: an int or a pair (rows, columns).
        dilation: an int or a pair (rows, columns).
        padding: zeros added on both sides: an int, a pair, ``'valid'`` (none) or
            ``'same'`` (output as large as the input; stride 1 only).
        groups: split input and output channels into this many independent groups.
        layer: how errors name the caller (modules pass their own description).

    Shape:
        - Input: (N, C_in, H, W)
        - Output: (N, C_out, H_out, W_out) with
          H_out = floor((H + 2 padding_h - dilation_h (kh - 1) - 1) / stride_h) + 1

    Examples:
        >>> x = tinytorch.tensor.randn(2, 3, 8, 8)
        >>> w = tinytorch.tensor.randn(4, 3, 3, 3)
        >>> conv2d(x, w, padding=1).shape
        (2, 4, 8, 8)
    """
    check_conv_shapes(layer, input.shape, weight.shape, bias, groups)
    kernel = tuple(weight.shape[2:])
    stride, dilation = pair(stride, "stride"), pair(dilation, "dilation")
    check_positive(layer, stride=stride, dilation=dilation)
    explicit = resolve_padding(padding, kernel, stride, dilation)
    check_output_hw(layer, input.shape, output_hw(input.shape[2:], kernel, stride, explicit,
                                                  dilation))
    return Conv2dFunction.apply(input, weight, bias, stride=stride, padding=explicit,
                                dilation=dilation, groups=groups)


def conv2d_padded(input: Tensor, weight: Tensor, bias: Tensor | None, stride, padding,
                  dilation, groups: int, padding_mode: str, *, layer: str) -> Tensor:
    """``conv2d`` after padding the input with ``padding_mode``.

    Modes: zeros, reflect, replicate, circular.

    Zeros padding happens inside the convolution; the other modes pad first
    with ``pad`` (a differentiable op of its own), as PyTorch's Conv2d does.
    """
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"{layer}: padding_mode must be one of {sorted(PADDING_MODES)}, "
                         f"got {padding_mode!r}")
    if padding_mode == "zeros":
        return conv2d(input, weight, bias, stride, padding, dilation, groups, layer=layer)
    kernel = tuple(weight.shape[2:])
    (top, bottom), (left, right) = resolve_padding(
        padding, kernel, pair(stride, "stride"), pair(dilation, "dilation"))
    check_nchw(layer, input.shape)
    padded = pad(input, (left, right, top, bottom), mode=PADDING_MODES[padding_mode])
    return conv2d(padded, weight, bias, stride, 0, dilation, groups, layer=layer)


def conv1d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int = 1,
    padding: int | str = 0,
    dilation: int = 1,
    groups: int = 1,
    *,
    layer: str = "conv1d",
) -> Tensor:
    r"""1-D convolution over an NCL batch: a ``conv2d`` on images of height 1.

    Args:
        input: (N, C_in, L).
        weight: (C_out, C_in / groups, k).
        bias: (C_out,) or None.
        stride: as ``conv2d``, along the one axis.
        padding: as ``conv2d``, along the one axis.
        dilation: as ``conv2d``, along the one axis.
        groups: as ``conv2d``.

    Shape:
        - Input: (N, C_in, L)
        - Output: (N, C_out, L_out) with
          L_out = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1

    Examples:
        >>> conv1d(tinytorch.tensor.randn(2, 3, 10), tinytorch.tensor.randn(4, 3, 5)).shape
        (2, 4, 6)
    """
    if len(input.shape) != 3:
        raise ShapeError(f"{layer}: expected a 3-D input of shape (N, C, L), "
                         f"got shape {tuple(input.shape)}")
    padding_2d = padding if isinstance(padding, str) else (0, padding)
    out = conv2d(input.unsqueeze(2), weight.unsqueeze(2), bias, (1, stride), padding_2d,
                 (1, dilation), groups, layer=layer)
    return out.squeeze(2)


def check_conv_shapes(layer: str, input_shape, weight_shape, bias, groups: int) -> None:
    """Raise ShapeError unless input, weight, bias and groups fit together."""
    if len(weight_shape) != 4:
        raise ShapeError(f"{layer}: weight must have shape (C_out, C_in / groups, kh, kw), "
                         f"got shape {tuple(weight_shape)}")
    c_out, c_per_group = weight_shape[:2]
    if groups < 1 or c_out % groups:
        raise ValueError(f"{layer}: groups={groups} must be positive and divide "
                         f"out_channels={c_out}")
    check_nchw(layer, input_shape, c_per_group * groups)
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ShapeError(f"{layer}: bias must have shape ({c_out},), got {tuple(bias.shape)}")
