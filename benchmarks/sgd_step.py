"""The plain-SGD training step the tinytorch benchmarks share.

A step is zero the gradients, forward, loss, backward, then p <- p - lr * dL/dp
for every parameter; it returns the loss so that ``check_same_losses`` can
compare implementations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def backward_and_update(loss, params: Sequence, lr: float):
    """Backpropagate ``loss``, take one SGD step on ``params`` in place, return ``loss``."""
    loss.backward()
    for p in params:
        p.data -= lr * p.grad.data
    return loss


def module_step(model, loss_fn: Callable, x, y, lr: float) -> Callable[[], object]:
    """A step closure training ``model`` (a tt-nn Module) on one fixed batch."""
    params = list(model.parameters())

    def step():
        model.zero_grad()
        return backward_and_update(loss_fn(model(x), y), params, lr)

    return step
