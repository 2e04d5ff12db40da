"""MLP 784-128-64-10 training step at batch 64 written with raw tensors (issue 2).

The same step three ways: tinytorch tensors and autograd (no tt-nn), and the
references of ``mlp_reference.py``: plain NumPy with a hand-written backward,
and PyTorch when installed. A step is forward, softmax cross-entropy, backward
and an SGD update. The autograd overhead is the tinytorch/NumPy ratio.
"""

from __future__ import annotations

import numpy as np
from harness import Case
from mlp_reference import BATCH, LR, data, initial_weights, reference_steps
from tinytorch.tensor import Tensor


def tinytorch_step():
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
            h = h @ params[i] + params[i + 1]
            if i < len(params) - 2:
                h = h.relu()
        loss = -h.log_softmax(dim=1)[rows, y].mean()
        loss.backward()
        for p in params:
            p.data -= LR * p.grad.data

    return step


def cases() -> list[Case]:
    steps = {"tinytorch": tinytorch_step(), **reference_steps()}
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
