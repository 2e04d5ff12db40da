"""MLP 784-128-64-10 training step at batch 64 written with raw tensors (issue 2).

The same step four ways: tinytorch tensors and autograd (no tt-nn), once with
each layer written ``h @ W + b`` (two ops) and once as ``b.addmm(h, W)`` (one
op, as ``torch.nn.Linear`` runs), and the references of ``mlp_reference.py``:
plain NumPy with a hand-written backward, and PyTorch when installed. A step is
forward, softmax cross-entropy, backward and an SGD update, and returns the
loss: the four must agree on their first three losses before any is timed.
The autograd overhead is the tinytorch/NumPy ratio.
"""

from __future__ import annotations

import numpy as np
from harness import Case
from mlp_reference import (
    BATCH,
    LR,
    check_same_losses,
    data,
    initial_weights,
    reference_steps,
)
from sgd_step import backward_and_update
from tinytorch.tensor import Tensor


def tinytorch_step(fused: bool = False):
    """The step on tinytorch tensors; ``fused`` writes each layer as one addmm op."""
    x_np, y = data()
    x, rows = Tensor(x_np), np.arange(BATCH)
    # Each weight is stored as (in, out) so a layer's forward is one matmul: h @ w + b.
    params = [
        Tensor(a, requires_grad=True)
        for w, b in initial_weights()
        for a in (np.ascontiguousarray(w.T), b)
    ]

    def step():
        for p in params:
            p.grad = None
        h = x
        for i in range(0, len(params), 2):
            weight, bias = params[i], params[i + 1]
            h = bias.addmm(h, weight) if fused else h @ weight + bias
            if i < len(params) - 2:
                h = h.relu()
        return backward_and_update(-h.log_softmax(dim=1)[rows, y].mean(), params, LR)

    return step


def cases() -> list[Case]:
    steps = {
        "tinytorch": tinytorch_step(),
        "addmm": tinytorch_step(fused=True),
        **reference_steps(),
    }
    check_same_losses(steps)
    return [
        Case(
            "raw-tensor MLP 784-128-64-10 step, batch 64",
            steps,
            baseline=next(b for b in ("numpy", "torch", "tinytorch") if b in steps),
            note=(
                "tinytorch written with raw tensor ops (no tt-nn): 'tinytorch' writes a layer "
                "as h @ W + b, 'addmm' as b.addmm(h, W); the ratio to plain NumPy is the "
                "autograd overhead (target: at most 1.1x)"
            ),
        )
    ]
