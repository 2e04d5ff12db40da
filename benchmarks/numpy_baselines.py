# tinytorch: instructors only
"""Hand-written NumPy training steps that the benchmarks compare tinytorch with.

For instructors only (the line above): these are complete answers to the
students' exercises (Linear's and cross-entropy's backward), so ``nox -s
starter`` leaves this file out of the students' starter, and the benchmarks
there run without their "numpy" row.
"""

from __future__ import annotations

import numpy as np


def numpy_mlp_step(batch, weights, lr: float):
    """The step in plain NumPy: y = x W^T + b per layer, backward written by hand.

    Like the others, it computes the loss (and returns it), not only its gradient.
    """
    x, y = batch
    rows = np.arange(len(x))
    count = len(x)

    def step():
        activations, h = [x], x
        for i, (w, b) in enumerate(weights):
            h = h @ w.T + b
            if i < len(weights) - 1:
                h = np.maximum(h, 0)
            activations.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        loss = (np.log(total[:, 0]) - shifted[rows, y]).sum() / count  # (.mean() costs more)
        grad = exp / total  # d(mean cross-entropy)/d(logits) ...
        grad[rows, y] -= 1  # ... is (softmax - one_hot) / count
        grad /= count
        for i in reversed(range(len(weights))):
            w, b = weights[i]
            inputs = activations[i]
            grad_w, grad_b = grad.T @ inputs, grad.sum(axis=0)
            if i > 0:
                grad = (grad @ w) * (inputs > 0)
            w -= lr * grad_w
            b -= lr * grad_b
        return loss

    return step
