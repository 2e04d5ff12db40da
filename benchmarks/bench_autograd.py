"""MLP 784-128-64-10 training step at batch 64 written with raw tensors (issue 2).

The same step three ways: tinytorch tensors and autograd (no tt-nn), plain
NumPy with a hand-written backward, and PyTorch when installed. A step is
forward, softmax cross-entropy, backward and an SGD update. The autograd
overhead is the tinytorch/NumPy ratio.
"""

from __future__ import annotations

import numpy as np
from harness import Case
from tinytorch.tensor import Tensor

SIZES = (784, 128, 64, 10)
BATCH = 64
LR = 0.01


def _data(rng):
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return x, y


def _weights(rng):
    return [
        (
            (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32),
            np.zeros(n_out, np.float32),
        )
        for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True)
    ]


def tinytorch_step():
    rng = np.random.default_rng(0)
    x_np, y_np = _data(rng)
    x, rows = Tensor(x_np), np.arange(BATCH)
    params = [Tensor(a, requires_grad=True) for pair in _weights(rng) for a in pair]

    def step():
        for p in params:
            p.grad = None
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = h.relu()
        loss = -h.log_softmax(dim=1)[rows, y_np].mean()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad.data

    return step


def numpy_step():
    rng = np.random.default_rng(0)
    x, y = _data(rng)
    weights = _weights(rng)
    rows = np.arange(BATCH)

    def step():
        activations, h = [x], x
        for i, (w, b) in enumerate(weights):
            h = h @ w + b
            if i < len(weights) - 1:
                h = np.maximum(h, 0)
            activations.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        probs = exp / exp.sum(axis=1, keepdims=True)
        grad = probs
        grad[rows, y] -= 1
        grad /= BATCH
        for i in reversed(range(len(weights))):
            w, b = weights[i]
            inputs = activations[i]
            grad_w, grad_b = inputs.T @ grad, grad.sum(axis=0)
            if i > 0:
                grad = (grad @ w.T) * (inputs > 0)
            w -= LR * grad_w
            b -= LR * grad_b

    return step


def torch_step():
    import torch

    rng = np.random.default_rng(0)
    x_np, y_np = _data(rng)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    params = [torch.tensor(a, requires_grad=True) for pair in _weights(rng) for a in pair]

    def step():
        for p in params:
            p.grad = None
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = h.relu()
        loss = torch.nn.functional.cross_entropy(h, y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad

    return step


def cases() -> list[Case]:
    steps = {"tinytorch": tinytorch_step(), "numpy": numpy_step()}
    try:
        steps["torch"] = torch_step()
    except ImportError:
        pass
    return [
        Case(
            "raw-tensor MLP 784-128-64-10 step, batch 64",
            steps,
            baseline="numpy",
            note=(
                "tinytorch written with raw tensor ops (no tt-nn); "
                "the ratio to plain NumPy is the autograd overhead"
            ),
        )
    ]
