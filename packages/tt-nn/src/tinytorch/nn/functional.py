"""tinytorch.nn.functional: the math of the layers, as functions of tensors.

Layers (``nn.Linear``, ``nn.ReLU``, ``nn.CrossEntropyLoss``...) hold their
parameters and settings and call these functions in ``forward``. Where one
fused node is faster than a chain of tensor ops (linear, softmax,
log-softmax, GELU, cross-entropy), the function is a
``tinytorch.autograd.Function``: a forward on NumPy arrays and, right beside
it, its closed-form backward. Each one is gradchecked in the tests.
"""

from __future__ import annotations

import math

import numpy as np
from tinytorch.autograd import Function
from tinytorch.tensor import Tensor


# ============================================================================ linear


class LinearFunction(Function):
    """y = x W^T + b in one graph node.

    Backward, with g = dL/dy of shape (..., out):
    dL/dx = g W,   dL/dW = g^T x (summed over every leading dim),   dL/db = sum of g.
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        # BEGIN SOLUTION
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        y = np.matmul(x.reshape(-1, x.shape[-1]), weight.T).reshape(*x.shape[:-1], weight.shape[0])
        if bias is not None:
            y += bias
        return y
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_y):
        # BEGIN SOLUTION
        x, weight = ctx.saved_tensors
        needs_x, needs_w, needs_b = ctx.needs_input_grad
        grad_2d = grad_y.reshape(-1, grad_y.shape[-1])
        grad_x = np.matmul(grad_2d, weight).reshape(x.shape) if needs_x else None
        grad_w = np.matmul(grad_2d.T, x.reshape(-1, x.shape[-1])) if needs_w else None
        grad_b = grad_2d.sum(axis=0) if needs_b else None
        return grad_x, grad_w, grad_b
        # END SOLUTION


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """y = x W^T + b.

    Shape:
        input (*, in_features), weight (out_features, in_features),
        bias (out_features,), output (*, out_features).
    """
    if input.shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input of shape {tuple(input.shape)} has {input.shape[-1] if input.ndim else 0} "
            f"features in its last dim, but the weight of shape {tuple(weight.shape)} expects "
            f"{weight.shape[1]} (in_features)"
        )
    if input.dtype != weight.dtype:
        raise TypeError(
            f"linear: input dtype {input.dtype} differs from the weight's {weight.dtype}; "
            "convert the input with .float() (or the module with .double())"
        )
    return LinearFunction.apply(input, weight, bias)
