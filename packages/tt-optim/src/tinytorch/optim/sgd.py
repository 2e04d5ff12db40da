"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_non_negative


class SGD(Optimizer):
    r"""Stochastic gradient descent (``torch.optim.SGD``).

    For each parameter $\theta$ with gradient $g$ at step $t$:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda \theta                      && \text{weight decay } \lambda \\
    b_t &= \begin{cases} g & t = 1 \\ \mu b_{t-1} + (1 - \tau) g & t > 1 \end{cases}
        && \text{momentum } \mu \text{, dampening } \tau \\
    g &\leftarrow g + \mu b_t \text{ (Nesterov) or } b_t  && \text{when } \mu \ne 0 \\
    \theta &\leftarrow \theta - \eta g                    && \text{learning rate } \eta
    \end{aligned}
    $$

    Args:
        params: parameters, or param-group dicts.
        lr: learning rate $\eta$ (default 1e-3, as PyTorch 2).
        momentum: $\mu$ (0 = plain SGD).
        dampening: $\tau$, scales down the new gradient in the buffer.
        weight_decay: $\lambda$, an L2 penalty added to the gradient.
        nesterov: look ahead along the momentum (needs momentum > 0, dampening 0).
    """

    def __init__(
        self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False
    ):
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        check_non_negative("SGD", "momentum", group["momentum"])
        check_non_negative("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                f"SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']} and dampening={group['dampening']}"
            )

    def init_state(self, param, group):
        return {"momentum_buffer": None}

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """One SGD step on ``param`` in place, as the class docstring defines it.

        ``param`` is the parameter's own array: update it in place so that the model
        (and any view of it) sees the new values. ``grad`` is the parameter's
        ``.grad`` array: never write into it. ``state["momentum_buffer"]`` is None
        until the first step with momentum; it then holds the buffer b (an array of
        the parameter's shape that the optimizer owns, not the gradient's array),
        updated in place at every later step. ``group`` holds this parameter's
        ``lr``, ``momentum``, ``dampening``, ``weight_decay`` and ``nesterov``.
        """
        # Hint: never write `param = param - ...`: that rebinds a name, the model never sees it.
        # BEGIN SOLUTION
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        if momentum != 0:
            buffer = state["momentum_buffer"]
            if buffer is None:
                buffer = state["momentum_buffer"] = grad.copy()
            else:
                buffer *= momentum
                buffer += (1 - dampening) * grad
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param -= lr * grad
        # END SOLUTION
