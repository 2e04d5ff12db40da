"""FLOPs of one op, counted from the shapes of the arrays it actually ran on.

A FLOP here is one floating point multiply or add. The rules:

- matrix multiply ``(..., n, k) @ (..., k, m)``: ``2 n k m`` per batch element
  (``n m`` dot products of length ``k``, a multiply and an add each);
- ``Linear`` on ``M`` rows: ``2 M in out`` (plus ``M out`` for the bias);
- ``Conv2d``: ``2 * out.size * (C_in / groups * kh * kw)`` (plus ``out.size`` for the bias):
  every output pixel is a dot product over its window;
- attention ``softmax(q k^T * scale) v`` with ``B`` batch-heads, ``L`` queries,
  ``S`` keys: ``2 B L S E`` for the scores, ``2 B L S Ev`` for the weighted sum,
  ``5 B L S`` for scaling and the softmax (``SOFTMAX_FLOPS`` per element);
- elementwise ops and reductions: one FLOP per element (of the output,
  resp. the input); movement ops (reshape, permute, indexing, cat): none.

Backward is counted the way the backward rules run: a matmul-like op costs one
matmul of the forward's size *per input that needs a gradient* (so a layer
whose input and weight both need gradients costs 2x its forward), an
elementwise op one pass per input that needs a gradient.
"""

from __future__ import annotations

import math

import numpy as np

SOFTMAX_FLOPS = 4  # per element: subtract the max, exp, sum, divide
MOVEMENT_OPS = frozenset(
    {
        "reshape",
        "permute",
        "expand",
        "getitem",
        "cat",
        "stack",
        "copy",
        "cast",
        "where",
        "SplitHeads",
        "EmbeddingFunction",
        "Pad2dFunction",
    }
)
# softmax: y (g - sum(g y)), 4 per element; log_softmax: g - e^y sum(g), 3 per element
SOFTMAX_BACKWARD_FLOPS = {"softmax": 4, "log_softmax": 3}
REDUCTION_OPS = frozenset({"sum", "mean", "max", "min", "var", "argmax", "argmin"})
# Fused Functions: FLOPs per output element (forward, backward), from their formulas.
PER_ELEMENT_FUNCTIONS = {
    "LayerNormFunction": (8, 10),  # mean, center, square, mean, rsqrt, scale, affine
    "GELUFunction": (10, 12),  # erf / tanh polynomial and the product
    "BatchNormFunction": (6, 10),
    "SiLUFunction": (5, 5),
    "LeakyReLUFunction": (1, 1),
}
LOSS_FUNCTIONS = frozenset(
    {
        "CrossEntropyFunction",
        "NLLLossFunction",
        "BCEWithLogitsFunction",
        "BinaryCrossEntropyFunction",
    }
)


def _shape(value) -> tuple[int, ...] | None:
    array = getattr(value, "data", value)
    return tuple(array.shape) if isinstance(array, np.ndarray) else None


def _numel(value) -> int:
    shape = _shape(value)
    return math.prod(shape) if shape is not None else 0


def _needs_grad(value) -> bool:
    return bool(getattr(value, "requires_grad", False))


def matmul_flops(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> int:
    """2 n k m per batch element for ``(..., n, k) @ (..., k, m)`` (vectors count as n or m = 1)."""
    # BEGIN SOLUTION
    a = (1,) + tuple(a_shape) if len(a_shape) == 1 else tuple(a_shape)
    b = tuple(b_shape) + (1,) if len(b_shape) == 1 else tuple(b_shape)
    batch = math.prod(np.broadcast_shapes(a[:-2], b[:-2]))
    return 2 * batch * a[-2] * a[-1] * b[-1]
    # END SOLUTION


def linear_flops(x_shape, weight_shape, has_bias: bool) -> int:
    """2 M in out (+ M out for the bias), with M the number of rows of x."""
    rows = math.prod(x_shape[:-1])
    out_features, in_features = weight_shape
    return 2 * rows * in_features * out_features + (rows * out_features if has_bias else 0)


def conv2d_flops(out_shape, weight_shape, has_bias: bool) -> int:
    """2 * out.size * (C_in / groups * kh * kw) (+ out.size for the bias)."""
    window = math.prod(weight_shape[1:])
    out_size = math.prod(out_shape)
    return 2 * out_size * window + (out_size if has_bias else 0)


def attention_flops(q_shape, k_shape, v_shape) -> int:
    """Scores 2 B L S E, weighted sum 2 B L S Ev, scale and softmax 5 B L S."""
    batch_heads = math.prod(np.broadcast_shapes(q_shape[:-2], k_shape[:-2]))
    length, embed = q_shape[-2:]
    source, value_dim = k_shape[-2], v_shape[-1]
    scores = batch_heads * length * source
    return 2 * scores * embed + 2 * scores * value_dim + (1 + SOFTMAX_FLOPS) * scores


def op_flops(op_name: str, inputs: tuple, params: dict, outputs: tuple) -> tuple[int, int]:
    """(forward FLOPs, backward FLOPs) of one op that ran on ``inputs`` and gave ``outputs``.

    Backward counts only the gradients that will be computed: one matmul of
    the forward's size (resp. one elementwise pass) per input that requires grad.
    """
    # BEGIN SOLUTION
    needs = [_needs_grad(x) for x in inputs]
    out_numel = sum(_numel(o) for o in outputs)
    if op_name in MOVEMENT_OPS:
        return 0, 0
    if op_name == "matmul":
        forward = matmul_flops(_shape(inputs[0]), _shape(inputs[1]))
        return forward, forward * sum(needs)
    if op_name == "addmm":  # bias + mat1 @ mat2: the product, then one add per output
        bias, mat1, mat2 = inputs
        matmul = matmul_flops(_shape(mat1), _shape(mat2))
        return matmul + out_numel, matmul * (needs[1] + needs[2]) + out_numel * needs[0]
    if op_name == "LinearFunction":
        x, weight, bias = inputs
        matmul = linear_flops(_shape(x), _shape(weight), False)
        bias_flops = out_numel if bias is not None else 0
        return matmul + bias_flops, matmul * (needs[0] + needs[1]) + bias_flops * needs[2]
    if op_name == "Conv2dFunction":
        x, weight, bias = inputs
        matmul = conv2d_flops(_shape(outputs[0]), _shape(weight), False)
        bias_flops = out_numel if bias is not None else 0
        return matmul + bias_flops, matmul * (needs[0] + needs[1]) + bias_flops * needs[2]
    if op_name == "ScaledDotProductAttentionFunction":
        forward = attention_flops(_shape(inputs[0]), _shape(inputs[1]), _shape(inputs[2]))
        return forward, 2 * forward if any(needs[:3]) else 0
    if op_name in ("MaxPool2dFunction", "AvgPool2dFunction"):
        window = math.prod(params.get("kernel", (1, 1)))
        return out_numel * window, out_numel * window * needs[0]
    if op_name in PER_ELEMENT_FUNCTIONS:
        forward_per, backward_per = PER_ELEMENT_FUNCTIONS[op_name]
        return forward_per * out_numel, backward_per * out_numel * any(needs)
    if op_name in LOSS_FUNCTIONS:
        logits = _numel(inputs[0])
        return (SOFTMAX_FLOPS + 1) * logits, 2 * logits * needs[0]
    if op_name in SOFTMAX_BACKWARD_FLOPS:
        return SOFTMAX_FLOPS * out_numel, SOFTMAX_BACKWARD_FLOPS[op_name] * out_numel * needs[0]
    if op_name in REDUCTION_OPS:
        return _numel(inputs[0]), _numel(inputs[0]) * needs[0]
    return out_numel, out_numel * sum(needs)  # elementwise ops and unknown Functions
    # END SOLUTION
