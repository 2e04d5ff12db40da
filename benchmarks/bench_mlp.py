"""MLP 784-128-64-10 training step at batch 64, built from tt-nn (issue 3).

One step is zero_grad, forward, cross-entropy, backward and an SGD update,
three ways: tinytorch's ``nn.Linear``/``nn.ReLU``/``nn.CrossEntropyLoss``,
the same network in plain NumPy with a hand-written backward, and
``torch.nn`` when PyTorch is installed. All three start from the same
weights, in float32. Target: tinytorch within 1.1x of PyTorch at one thread.
"""

from __future__ import annotations

import numpy as np
from harness import Case
from tinytorch import nn
from tinytorch.tensor import Tensor

SIZES = (784, 128, 64, 10)
BATCH = 64
LR = 0.01


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return x, y


def _tinytorch_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(SIZES[0], SIZES[1]),
        nn.ReLU(),
        nn.Linear(SIZES[1], SIZES[2]),
        nn.ReLU(),
        nn.Linear(SIZES[2], SIZES[3]),
    )


def _weights() -> list[tuple[np.ndarray, np.ndarray]]:
    """The initial (weight (out, in), bias) of each layer, shared by the three versions."""
    model = _tinytorch_model()
    return [(layer.weight.data.copy(), layer.bias.data.copy()) for layer in model[::2]]


def tinytorch_step():
    x_np, y = _data()
    x = Tensor(x_np)
    model = _tinytorch_model()
    model.load_state_dict(
        {
            f"{2 * i}.{name}": a
            for i, pair in enumerate(_weights())
            for name, a in zip(("weight", "bias"), pair, strict=True)
        }
    )
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())

    def step():
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad.data

    return step


def numpy_step():
    x, y = _data()
    weights = _weights()
    rows = np.arange(BATCH)

    def step():
        activations, h = [x], x
        for i, (w, b) in enumerate(weights):
            h = h @ w.T + b
            if i < len(weights) - 1:
                h = np.maximum(h, 0)
            activations.append(h)
        shifted = h - h.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        grad = exp / exp.sum(axis=1, keepdims=True)
        grad[rows, y] -= 1
        grad /= BATCH
        for i in reversed(range(len(weights))):
            w, b = weights[i]
            inputs = activations[i]
            grad_w, grad_b = grad.T @ inputs, grad.sum(axis=0)
            if i > 0:
                grad = (grad @ w) * (inputs > 0)
            w -= LR * grad_w
            b -= LR * grad_b

    return step


def torch_step():
    import torch

    torch.set_num_threads(1)
    x_np, y_np = _data()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    model = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]),
        torch.nn.ReLU(),
        torch.nn.Linear(SIZES[1], SIZES[2]),
        torch.nn.ReLU(),
        torch.nn.Linear(SIZES[2], SIZES[3]),
    )
    with torch.no_grad():
        for layer, (w, b) in zip(model[::2], _weights(), strict=True):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    loss_fn = torch.nn.CrossEntropyLoss()
    params = list(model.parameters())

    def step():
        model.zero_grad()
        loss = loss_fn(model(x), y)
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
            "nn MLP 784-128-64-10 step, batch 64",
            steps,
            baseline="torch" if "torch" in steps else "numpy",
            note="tt-nn Linear/ReLU/CrossEntropyLoss; target: at most 1.1x PyTorch at one thread",
        )
    ]
