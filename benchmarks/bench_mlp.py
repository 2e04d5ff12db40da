"""MLP 784-128-64-10 training step at batch 64, built from tt-nn (issue 3).

One step is zero_grad, forward, cross-entropy, backward and an SGD update,
three ways: tinytorch's ``nn.Linear``/``nn.ReLU``/``nn.CrossEntropyLoss``,
and the references of ``mlp_reference.py``: the same network in plain NumPy
with a hand-written backward, and ``torch.nn`` when PyTorch is installed.
All three start from the same weights, in float32. Target: tinytorch within
1.1x of PyTorch at one thread.
"""

from __future__ import annotations

from harness import Case
from mlp_reference import (
    LR,
    SIZES,
    check_same_losses,
    data,
    initial_weights,
    reference_steps,
)
from sgd_step import module_step
from tinytorch import nn
from tinytorch.tensor import Tensor


def tinytorch_step():
    x_np, y = data()
    x = Tensor(x_np)
    model = nn.Sequential(
        nn.Linear(SIZES[0], SIZES[1]),
        nn.ReLU(),
        nn.Linear(SIZES[1], SIZES[2]),
        nn.ReLU(),
        nn.Linear(SIZES[2], SIZES[3]),
    )
    model.load_state_dict(
        {
            f"{2 * i}.{name}": a
            for i, pair in enumerate(initial_weights())
            for name, a in zip(("weight", "bias"), pair, strict=True)
        }
    )
    return module_step(model, nn.CrossEntropyLoss(), x, y, LR)


def cases() -> list[Case]:
    steps = {"tinytorch": tinytorch_step(), **reference_steps()}
    check_same_losses(steps)
    return [
        Case(
            "nn MLP 784-128-64-10 step, batch 64",
            steps,
            baseline=next(b for b in ("torch", "numpy", "tinytorch") if b in steps),
            note="tt-nn Linear/ReLU/CrossEntropyLoss; target: at most 1.1x PyTorch at one thread",
        )
    ]
