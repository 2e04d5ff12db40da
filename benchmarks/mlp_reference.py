"""The MLP 784-128-64-10 training step outside tinytorch, for bench_autograd and bench_mlp.

Both benchmarks time tinytorch against the same two references: plain NumPy
with a hand-written backward, and ``torch.nn`` when PyTorch is installed. A
step is forward, softmax cross-entropy, backward and an SGD update, in float32,
from the batch of ``data()`` and the weights of ``initial_weights()``; it
returns the loss, which ``check_same_losses`` compares across the steps.
"""

from __future__ import annotations

import numpy as np

SIZES = (784, 128, 64, 10)
BATCH = 64
LR = 0.01


def data() -> tuple[np.ndarray, np.ndarray]:
    """One batch: inputs (BATCH, 784) float32 and integer class labels (BATCH,)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return x, y


def initial_weights() -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight (out, in), bias) of each layer, PyTorch's layout; weight ~ N(0, 1/in)."""
    rng = np.random.default_rng(1)
    return [
        (
            (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32),
            np.zeros(n_out, np.float32),
        )
        for n_in, n_out in zip(SIZES[:-1], SIZES[1:], strict=True)
    ]


def numpy_step():
    """The step in plain NumPy: y = x W^T + b per layer, backward written by hand.

    Like the others, it computes the loss (and returns it), not only its gradient.
    """
    x, y = data()
    weights = initial_weights()
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
        total = exp.sum(axis=1, keepdims=True)
        loss = (np.log(total[:, 0]) - shifted[rows, y]).sum() / BATCH  # (.mean() costs more)
        grad = exp / total  # d(mean cross-entropy)/d(logits) ...
        grad[rows, y] -= 1  # ... is (softmax - one_hot) / BATCH
        grad /= BATCH
        for i in reversed(range(len(weights))):
            w, b = weights[i]
            inputs = activations[i]
            grad_w, grad_b = grad.T @ inputs, grad.sum(axis=0)
            if i > 0:
                grad = (grad @ w) * (inputs > 0)
            w -= LR * grad_w
            b -= LR * grad_b
        return loss

    return step


def torch_step():
    """The step in ``torch.nn`` at one thread; raises ImportError without PyTorch."""
    import torch

    torch.set_num_threads(1)
    x_np, y_np = data()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    model = torch.nn.Sequential(
        torch.nn.Linear(SIZES[0], SIZES[1]),
        torch.nn.ReLU(),
        torch.nn.Linear(SIZES[1], SIZES[2]),
        torch.nn.ReLU(),
        torch.nn.Linear(SIZES[2], SIZES[3]),
    )
    with torch.no_grad():
        for layer, (w, b) in zip(model[::2], initial_weights(), strict=True):
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
        return loss.detach()

    return step


def check_same_losses(steps: dict, count: int = 3, rtol: float = 1e-5) -> None:
    """Run each step ``count`` times and raise unless they all report the same losses.

    Every step starts from ``initial_weights()`` on ``data()``, so the first
    loss checks the forward pass and each later one the gradients and update
    before it (a step changes the loss by about 2%). A benchmark whose
    implementations compute different things fails here instead of printing
    a ratio.
    """
    losses = {name: [float(step()) for _ in range(count)] for name, step in steps.items()}
    expected = losses["numpy"]
    if not all(np.allclose(got, expected, rtol=rtol, atol=0) for got in losses.values()):
        raise RuntimeError(f"the steps disagree on their first {count} losses: {losses}")


def reference_steps() -> dict:
    """{"numpy": step, "torch": step}, without "torch" when PyTorch is not installed."""
    steps = {"numpy": numpy_step()}
    try:
        steps["torch"] = torch_step()
    except ImportError:
        pass
    return steps
