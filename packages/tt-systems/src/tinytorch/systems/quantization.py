"""Post-training int8 quantization (Jacob et al., 2018) and quantization-aware fake-quant.

An affine quantizer maps a real value x to an integer q in [qmin, qmax]:

    q = clip(round(x / scale) + zero_point, qmin, qmax)        x ~ scale * (q - zero_point)

- *symmetric*: zero_point = 0 and scale = max|x| / 127, range [-127, 127]
  (int8; -128 is left out so that the range is symmetric);
- *asymmetric*: the observed [min, max] (widened to include 0, so that 0 is
  exact) is mapped onto [0, 255] (uint8) or [-128, 127] (int8):
  scale = (max - min) / (qmax - qmin), zero_point = qmin - round(min / scale);
- *per-tensor* uses one (scale, zero_point) for the whole tensor, *per-channel*
  one per output channel (axis 0 of a weight), which follows each filter's own
  range and loses much less accuracy.

A quantized layer computes with integers. For y = x W^T + b with
x ~ s_x (q_x - z_x) and W ~ s_w (q_w - z_w) (per output channel o):

    y[:, o] = s_x s_w[o] * sum_k (q_x - z_x)[:, k] (q_w - z_w)[o, k] + b[o]

The sum is an int32 matrix product of int8/uint8 values (each product fits in
16 bits, and 2^31 leaves room for more than 100,000 of them), followed by one
float rescale. Its result equals the float computation on the dequantized
values up to float32 rounding of the rescale: the integer part is exact.

Weights are stored as ``np.int8`` arrays (a quarter of float32's bytes) with
float32 scales and int8 zero-points, as buffers of the layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from tinytorch.autograd import Function, no_grad
from tinytorch.nn import Linear, Module
from tinytorch.tensor import Tensor

INT8 = (-128, 127)
SYMMETRIC_INT8 = (-127, 127)
UINT8 = (0, 255)


@dataclass
class QParams:
    """Scale and zero-point of an affine quantizer (arrays of shape (C,) when per-channel).

    Attributes:
        scale: float32, > 0.
        zero_point: int32, in [qmin, qmax].
        qmin, qmax: the integer range.
        axis: the channel axis of per-channel parameters, None for per-tensor.
    """

    scale: np.ndarray
    zero_point: np.ndarray
    qmin: int
    qmax: int
    axis: int | None = None

    @property
    def dtype(self) -> type:
        return np.uint8 if self.qmin >= 0 else np.int8

    def broadcast(self, ndim: int) -> tuple[np.ndarray, np.ndarray]:
        """scale and zero_point shaped to broadcast against an array of ``ndim`` dims."""
        if self.axis is None:
            return self.scale, self.zero_point
        shape = [1] * ndim
        shape[self.axis] = -1
        return self.scale.reshape(shape), self.zero_point.reshape(shape)


def _range(low: np.ndarray, high: np.ndarray, symmetric: bool, unsigned: bool) -> tuple[int, int]:
    if symmetric:
        return SYMMETRIC_INT8
    return UINT8 if unsigned else INT8


def qparams_from_range(
    low, high, symmetric: bool = True, unsigned: bool = False, axis: int | None = None
) -> QParams:
    """The quantizer for values observed in [low, high] (scalars, or arrays per channel).

    The range is first widened to hold 0: [min(low, 0), max(high, 0)].
    Symmetric (int8, qmin = -127, qmax = 127): zero_point = 0 and the range's
    largest magnitude maps to 127. Asymmetric: the range maps onto the whole
    integer range, [-128, 127] (int8) or [0, 255] (``unsigned``: uint8), and
    the zero point is the integer that 0.0 maps to (an int, clipped to
    [qmin, qmax]), so 0.0 round-trips exactly. A range of width 0 gets scale 1.
    ``scale`` is float32 and ``zero_point`` int32, both of ``low``'s shape
    (per channel: one per channel, along ``axis``). The formulas are in the
    guide's hints.
    """
    # BEGIN SOLUTION
    low = np.minimum(np.asarray(low, dtype=np.float64), 0.0)
    high = np.maximum(np.asarray(high, dtype=np.float64), 0.0)
    qmin, qmax = _range(low, high, symmetric, unsigned)
    if symmetric:
        scale = np.maximum(np.abs(low), np.abs(high)) / qmax
        scale = np.where(scale > 0, scale, 1.0)
        zero_point = np.zeros_like(scale)
    else:
        scale = (high - low) / (qmax - qmin)
        scale = np.where(scale > 0, scale, 1.0)
        zero_point = np.clip(qmin - np.round(low / scale), qmin, qmax)
    return QParams(scale.astype(np.float32), zero_point.astype(np.int32), qmin, qmax, axis)
    # END SOLUTION


def calculate_qparams(
    x: np.ndarray,
    symmetric: bool = True,
    per_channel: bool = False,
    axis: int = 0,
    unsigned: bool = False,
) -> QParams:
    """The quantizer fitted to the range of ``x`` (per tensor, or per channel along ``axis``)."""
    x = np.asarray(x)
    if not per_channel:
        return qparams_from_range(x.min(), x.max(), symmetric, unsigned)
    others = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    return qparams_from_range(
        x.min(axis=others), x.max(axis=others), symmetric, unsigned, axis=axis % x.ndim
    )


def quantize(x: np.ndarray, qparams: QParams) -> np.ndarray:
    """q = clip(round(x / scale) + zero_point, qmin, qmax), as int8 or uint8."""
    # BEGIN SOLUTION
    scale, zero_point = qparams.broadcast(np.ndim(x))
    q = np.round(np.asarray(x, dtype=np.float32) / scale) + zero_point
    return np.clip(q, qparams.qmin, qparams.qmax).astype(qparams.dtype)
    # END SOLUTION


def dequantize(q: np.ndarray, qparams: QParams) -> np.ndarray:
    """x ~ scale * (q - zero_point), float32."""
    # BEGIN SOLUTION
    scale, zero_point = qparams.broadcast(np.ndim(q))
    return (scale * (q.astype(np.int32) - zero_point)).astype(np.float32)
    # END SOLUTION


def quantization_error_bound(qparams: QParams) -> np.ndarray:
    """The largest |x - dequantize(quantize(x))| for x inside the quantizer's range: scale / 2."""
    return qparams.scale / 2


# ----------------------------------------------------------------------------- observers


class MinMaxObserver:
    """Running min and max of the values it sees (calibration of activation ranges)."""

    def __init__(self) -> None:
        self.low = np.inf
        self.high = -np.inf
        self.batches = 0

    def observe(self, x: np.ndarray) -> None:
        self.low = min(self.low, float(x.min()))
        self.high = max(self.high, float(x.max()))
        self.batches += 1

    def qparams(self, symmetric: bool = False) -> QParams:
        if self.batches == 0:
            raise RuntimeError(
                "MinMaxObserver: no calibration batch was observed; run the "
                "model on calibration data before quantizing"
            )
        return qparams_from_range(self.low, self.high, symmetric, unsigned=not symmetric)


# ----------------------------------------------------------------------------- integer kernels


def integer_matmul(q_x: np.ndarray, x_zero_point, q_w: np.ndarray, w_zero_point) -> np.ndarray:
    """sum_k (q_x - z_x)[m, k] (q_w - z_w)[o, k] in int32: a quantized layer's exact integer part.

    Shapes: q_x (M, K) int8/uint8, q_w (O, K) int8, zero points scalars or (O,);
    result (M, O) int32.
    """
    # BEGIN SOLUTION
    x = q_x.astype(np.int32) - np.int32(x_zero_point)
    w = q_w.astype(np.int32) - np.asarray(w_zero_point, dtype=np.int32).reshape(-1, 1)
    return np.matmul(x, w.T)
    # END SOLUTION


class _QuantizedLayer(Module):
    """What QuantizedLinear and QuantizedConv2d share: int8 weights, scales, input quantizer."""

    def _store(
        self, weight: np.ndarray, bias, input_qparams: QParams, per_channel: bool, symmetric: bool
    ) -> None:
        flat = weight.reshape(weight.shape[0], -1)
        w_qparams = calculate_qparams(flat, symmetric=symmetric, per_channel=per_channel, axis=0)
        self.register_buffer("weight_int8", Tensor(quantize(flat, w_qparams).astype(np.int8)))
        self.register_buffer("weight_scale", Tensor(np.atleast_1d(w_qparams.scale)))
        zero_point = np.atleast_1d(w_qparams.zero_point).astype(np.int8)
        self.register_buffer("weight_zero_point", Tensor(zero_point))
        self.register_buffer("bias", None if bias is None else Tensor(np.asarray(bias, np.float32)))
        self.input_qparams = input_qparams
        self.per_channel = per_channel
        self.weight_shape = tuple(weight.shape)

    def weight_qparams(self) -> QParams:
        axis = 0 if self.per_channel else None
        scale, zero_point = self.weight_scale.data, self.weight_zero_point.data
        if axis is None:
            scale, zero_point = scale[0], zero_point[0]
        qmin, qmax = INT8 if zero_point.any() else SYMMETRIC_INT8
        return QParams(scale, zero_point, qmin, qmax, axis)

    def dequantized_weight(self) -> np.ndarray:
        """The float weight the integers stand for (for checking and for fake-quant)."""
        flat = dequantize(self.weight_int8.data, self.weight_qparams())
        return flat.reshape(self.weight_shape)

    def _integer_affine(self, rows: np.ndarray) -> np.ndarray:
        """Quantize float ``rows`` (M, K), multiply in int32, rescale: (M, O) float32."""
        q_x = quantize(rows, self.input_qparams)
        accumulated = integer_matmul(
            q_x, self.input_qparams.zero_point, self.weight_int8.data, self.weight_zero_point.data
        )
        rescale = (self.input_qparams.scale * self.weight_scale.data).astype(np.float32)
        out = accumulated.astype(np.float32) * rescale
        if self.bias is not None:
            out += self.bias.data
        return out


class QuantizedLinear(_QuantizedLayer):
    """y = s_x s_w (q_x - z_x)(q_w - z_w)^T + b with an int32 matrix product.

    Args:
        linear: the float ``Linear`` to quantize (its weights are read once).
        input_qparams: the activation quantizer, from calibration.
        per_channel: one weight scale per output feature (default) or one for all.
        symmetric: symmetric int8 weights (zero_point 0, default) or asymmetric.

    Shape:
        input (*, in_features), output (*, out_features).

    Attributes:
        weight_int8: (out_features, in_features) int8; weight_scale, weight_zero_point (int8):
        (out_features,) or (1,); bias: float32 (out_features,).
    """

    def __init__(
        self,
        linear: Linear,
        input_qparams: QParams,
        per_channel: bool = True,
        symmetric: bool = True,
    ) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        bias = None if linear.bias is None else linear.bias.data
        self._store(linear.weight.data, bias, input_qparams, per_channel, symmetric)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        # BEGIN SOLUTION
        x = input.data
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"QuantizedLinear: input of shape {x.shape} has {x.shape[-1]} features, "
                f"expected in_features={self.in_features}"
            )
        out = self._integer_affine(x.reshape(-1, self.in_features))
        return Tensor(out.reshape(*x.shape[:-1], self.out_features))
        # END SOLUTION

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"per_channel={self.per_channel}, int8"
        )


class QuantizedConv2d(_QuantizedLayer):
    """Conv2d with int8 weights: im2col columns quantized, int32 products, one rescale.

    Args:
        conv: the float ``tinytorch.spatial.Conv2d`` (groups=1, zeros padding).
        input_qparams: the activation quantizer, from calibration.
        per_channel: one weight scale per output channel (default) or one for all.
        symmetric: symmetric int8 weights (zero_point 0, default) or asymmetric.

    Shape:
        input (N, C_in, H, W), output (N, C_out, H_out, W_out).
    """

    def __init__(
        self, conv, input_qparams: QParams, per_channel: bool = True, symmetric: bool = True
    ) -> None:
        super().__init__()
        if conv.groups != 1 or conv.padding_mode != "zeros":
            raise ValueError(
                f"QuantizedConv2d: only groups=1 and padding_mode='zeros' are "
                f"supported, got {conv!r}"
            )
        from tinytorch.spatial.shapes import resolve_padding

        self.in_channels, self.out_channels = conv.in_channels, conv.out_channels
        self.kernel_size, self.stride, self.dilation = conv.kernel_size, conv.stride, conv.dilation
        self.padding = resolve_padding(conv.padding, conv.kernel_size, conv.stride, conv.dilation)
        bias = None if conv.bias is None else conv.bias.data
        self._store(conv.weight.data, bias, input_qparams, per_channel, symmetric)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        # BEGIN SOLUTION
        from tinytorch.spatial.im2col import im2col, pad_hw
        from tinytorch.spatial.shapes import output_hw

        x = input.data
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"QuantizedConv2d: expected input (N, {self.in_channels}, H, W), "
                f"got shape {x.shape}"
            )
        out_hw = output_hw(x.shape[2:], self.kernel_size, self.stride, self.padding, self.dilation)
        columns = im2col(pad_hw(x, self.padding), self.kernel_size, self.stride, self.dilation)
        rows = columns.transpose(0, 2, 1).reshape(-1, columns.shape[1])  # (N*L, C*kh*kw)
        out = self._integer_affine(rows).reshape(x.shape[0], -1, self.out_channels)
        return Tensor(
            np.ascontiguousarray(out.transpose(0, 2, 1)).reshape(
                x.shape[0], self.out_channels, *out_hw
            )
        )
        # END SOLUTION

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, per_channel={self.per_channel}, int8"
        )


# ----------------------------------------------------------------------------- whole models


def _is_conv2d(module: Module) -> bool:
    return type(module).__name__ == "Conv2d" and hasattr(module, "kernel_size")


def quantizable_layers(model: Module) -> list[tuple[str, Module]]:
    """Every Linear and Conv2d of ``model`` with its dotted name."""
    return [
        (name, m)
        for name, m in model.named_modules()
        if name and (isinstance(m, Linear) or _is_conv2d(m))
    ]


def calibrate(
    model: Module,
    calibration_batches: Iterable,
    num_batches: int | None = None,
) -> dict[str, MinMaxObserver]:
    """Run ``model`` on real batches and record the input range of every Linear and Conv2d.

    ``calibration_batches`` yields inputs, or (inputs, targets) tuples (a DataLoader).
    """
    # BEGIN SOLUTION
    observers = {name: MinMaxObserver() for name, _ in quantizable_layers(model)}
    layers = dict(quantizable_layers(model))

    def watching(name, forward):
        def forward_observed(x):
            observers[name].observe(x.data)
            return forward(x)

        return forward_observed

    for name, layer in layers.items():
        object.__setattr__(layer, "forward", watching(name, layer.forward))
    model.eval()
    try:
        with no_grad():
            for index, batch in enumerate(calibration_batches):
                if num_batches is not None and index >= num_batches:
                    break
                model(batch[0] if isinstance(batch, (tuple, list)) else batch)
    finally:
        for layer in layers.values():
            layer.__dict__.pop("forward", None)
    return observers
    # END SOLUTION


def replace_submodule(model: Module, dotted: str, new: Module) -> None:
    """Put ``new`` where the sub-module ``dotted`` was, keeping its place in the parent's order."""
    parent_name, _, child = dotted.rpartition(".")
    parent = model
    for part in parent_name.split(".") if parent_name else []:
        parent = getattr(parent, part)
    parent._modules[child] = new  # setattr would move it to the end of a Sequential


def quantize_model(
    model: Module,
    calibration_loader: Iterable,
    per_channel: bool = True,
    symmetric_weights: bool = True,
    symmetric_activations: bool = False,
    num_batches: int | None = None,
) -> Module:
    """Replace every Linear and Conv2d of ``model`` (in place) by its int8 version; return it.

    Args:
        calibration_loader: real batches (inputs or (inputs, targets)); the
            input range of each layer is observed on them.
        per_channel: per-output-channel weight scales (default) or per-tensor.
        symmetric_weights: int8 weights with zero_point 0 (default) or asymmetric.
        symmetric_activations: int8 activations around 0, or (default) uint8
            with a zero point, which uses all 256 levels after a ReLU.
        num_batches: calibrate on the first ``num_batches`` batches only.
    """
    # BEGIN SOLUTION
    observers = calibrate(model, calibration_loader, num_batches)
    for name, layer in quantizable_layers(model):
        input_qparams = observers[name].qparams(symmetric=symmetric_activations)
        kind = QuantizedLinear if isinstance(layer, Linear) else QuantizedConv2d
        replace_submodule(model, name, kind(layer, input_qparams, per_channel, symmetric_weights))
    return model
    # END SOLUTION


# ----------------------------------------------------------------------------- fake quantization


class FakeQuantize(Function):
    """Quantize-dequantize in the forward, the straight-through estimator in the backward.

    forward:  y = scale * (clip(round(x / scale) + z, qmin, qmax) - z)
    backward: dL/dx = dL/dy where x was inside the representable range, 0 where it was clipped
    (rounding has derivative 0 almost everywhere; the STE pretends it is the identity).
    """

    @staticmethod
    def forward(ctx, x, scale, zero_point, qmin, qmax):
        # BEGIN SOLUTION
        q = np.round(x / scale) + zero_point
        ctx.save_for_backward((q >= qmin) & (q <= qmax))
        return (scale * (np.clip(q, qmin, qmax) - zero_point)).astype(x.dtype)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_y):
        # BEGIN SOLUTION
        (inside,) = ctx.saved_tensors
        return grad_y * inside, None, None, None, None
        # END SOLUTION


def fake_quantize(x: Tensor, qparams: QParams) -> Tensor:
    """``FakeQuantize`` with a fitted quantizer: train against the rounding int8 will do."""
    scale, zero_point = qparams.broadcast(x.ndim)
    return FakeQuantize.apply(
        x, scale.astype(x.dtype), zero_point.astype(x.dtype), qparams.qmin, qparams.qmax
    )


class FakeQuantLinear(Module):
    """A Linear trained through fake-quantized weights (per-channel symmetric int8).

    Wraps an existing ``Linear`` (sharing its parameters): quantization-aware
    fine-tuning, after which ``QuantizedLinear(layer.linear, ...)`` loses less.
    """

    def __init__(self, linear: Linear) -> None:
        super().__init__()
        self.linear = linear

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        from tinytorch.nn.functional import linear as linear_fn

        qparams = calculate_qparams(self.linear.weight.data, symmetric=True, per_channel=True)
        weight = fake_quantize(self.linear.weight, qparams)
        return linear_fn(input, weight, self.linear.bias)
