"""FLOPs of one op, counted from the shapes of the arrays it actually ran on.

A FLOP here is one floating point multiply or add. Ops of tt-tensor's op table
are counted here, by their op-table names:

- matrix multiply ``(..., n, k) @ (..., k, m)``: ``2 n k m`` per batch element
  (``n m`` dot products of length ``k``, a multiply and an add each); ``addmm``
  adds one FLOP per output element for the bias;
- ``softmax`` and ``log_softmax``: ``SOFTMAX_FLOPS`` per element;
- elementwise ops and reductions: one FLOP per element (of the output,
  resp. the input); movement ops (reshape, permute, indexing, cat): none.

An autograd ``Function`` (``Linear``, ``Conv2d``, attention, the fused
activations, normalizations and losses) declares its own count: its optional
``flops(inputs, params, outputs)`` static method (tt-autograd's Function API),
found from the name the op hook reports with ``function_by_name``. A Function
without one counts as an elementwise op.

Backward is counted the way the backward rules run: a matmul-like op costs one
matmul of the forward's size *per input that needs a gradient* (so a layer
whose input and weight both need gradients costs 2x its forward), an
elementwise op one pass per input that needs a gradient.
"""

from __future__ import annotations

import math

import numpy as np
from tinytorch.autograd import function_by_name
from tinytorch.autograd import requires_grad as _needs_grad
from tinytorch.tensor.ops import OP_TABLE

SOFTMAX_FLOPS = 4  # per element: subtract the max, exp, sum, divide
MOVEMENT_OPS = frozenset(
    {"reshape", "permute", "expand", "getitem", "cat", "stack", "copy", "cast", "where"}
)
# softmax: y (g - sum(g y)), 4 per element; log_softmax: g - e^y sum(g), 3 per element
SOFTMAX_BACKWARD_FLOPS = {"softmax": 4, "log_softmax": 3}
REDUCTION_OPS = frozenset({"sum", "mean", "max", "min", "var", "argmax", "argmin"})


def _shape(value) -> tuple[int, ...] | None:
    array = getattr(value, "data", value)
    return tuple(array.shape) if isinstance(array, np.ndarray) else None


def _numel(value) -> int:
    shape = _shape(value)
    return math.prod(shape) if shape is not None else 0


def matmul_flops(a_shape: tuple[int, ...], b_shape: tuple[int, ...]) -> int:
    """2 n k m per batch element for ``(..., n, k) @ (..., k, m)`` (vectors count as n or m = 1)."""
    # BEGIN SOLUTION
    a = (1,) + tuple(a_shape) if len(a_shape) == 1 else tuple(a_shape)
    b = tuple(b_shape) + (1,) if len(b_shape) == 1 else tuple(b_shape)
    batch = math.prod(np.broadcast_shapes(a[:-2], b[:-2]))
    return 2 * batch * a[-2] * a[-1] * b[-1]
    # END SOLUTION


def declared_flops(op_name: str):
    """The ``flops`` static method of the Function named ``op_name``, or None (op-table ops)."""
    function = None if op_name in OP_TABLE else function_by_name(op_name)
    return getattr(function, "flops", None) if function is not None else None


def op_flops(op_name: str, inputs: tuple, params: dict, outputs: tuple) -> tuple[int, int]:
    """(forward FLOPs, backward FLOPs) of one op that ran on ``inputs`` and gave ``outputs``.

    A Function's own ``flops`` (see ``declared_flops``) comes first. Backward
    counts only the gradients that will be computed: one matmul of the
    forward's size (resp. one elementwise pass) per input that requires grad.
    """
    # BEGIN SOLUTION
    declared = declared_flops(op_name)
    if declared is not None:
        return declared(inputs, params, outputs)
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
    if op_name in SOFTMAX_BACKWARD_FLOPS:
        return SOFTMAX_FLOPS * out_numel, SOFTMAX_BACKWARD_FLOPS[op_name] * out_numel * needs[0]
    if op_name in REDUCTION_OPS:
        return _numel(inputs[0]), _numel(inputs[0]) * needs[0]
    return out_numel, out_numel * sum(needs)  # elementwise ops and Functions without flops
    # END SOLUTION
