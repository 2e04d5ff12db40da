"""The MLP 784-128-64-10 training step outside tinytorch, for bench_autograd and bench_mlp.

Both benchmarks time tinytorch against the same two references: plain NumPy
with a hand-written backward (``numpy_baselines.py``, which is for instructors
only: it holds tt-nn's answers, so the students' starter omits it and the
benchmarks run without that row), and ``torch.nn`` when PyTorch is installed.
A step is forward, softmax cross-entropy, backward and an SGD update, in
float32, from the batch of ``data()`` and the weights of ``initial_weights()``;
it returns the loss, which ``check_same_losses`` compares across the steps.
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
    expected = next(iter(losses.values()))
    if not all(np.allclose(got, expected, rtol=rtol, atol=0) for got in losses.values()):
        raise RuntimeError(f"the steps disagree on their first {count} losses: {losses}")


def reference_steps() -> dict:
    """{"numpy": step, "torch": step}, each only where it is available: "numpy" in the
    reference tree (not in a students' starter), "torch" where PyTorch is installed."""
    steps = {}
    try:
        from numpy_baselines import numpy_mlp_step
    except ImportError:   # a students' starter: the hand-written backward stays with instructors
        pass
    else:
        steps["numpy"] = numpy_mlp_step(data(), initial_weights(), LR)
    try:
        steps["torch"] = torch_step()
    except ImportError:
        pass
    return steps
