"""Adagrad: step sizes that shrink with the sum of every squared gradient seen so far."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_non_negative


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan and Singer, 2011), as ``torch.optim.Adagrad``.

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda \theta                         && \text{weight decay } \lambda \\
    \tilde\eta_t &= \eta / (1 + (t - 1) \, \delta)             && \text{lr decay } \delta \\
    s_t &= s_{t-1} + g^2, \quad s_0 = \text{initial\_accumulator\_value} \\
    \theta &\leftarrow \theta - \tilde\eta_t \, g / (\sqrt{s_t} + \epsilon)
    \end{aligned}
    $$
    """

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0.0,
        weight_decay=0.0,
        initial_accumulator_value=0.0,
        eps=1e-10,
    ):
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        for name in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_non_negative("Adagrad", name, group[name])

    def init_state(self, param, group):
        initial = group["initial_accumulator_value"]
        return {"step": 0, "sum": np.full_like(param.data, initial)}

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """One Adagrad step on ``param`` in place (see the class docstring)."""
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        decayed_lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        param -= decayed_lr * (grad / (np.sqrt(state["sum"]) + group["eps"]))
