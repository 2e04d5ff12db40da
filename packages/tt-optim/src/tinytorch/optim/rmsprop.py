"""RMSprop: divide the gradient by a running root-mean-square of its recent values."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_fraction, check_non_negative


class RMSprop(Optimizer):
    r"""RMSprop (Hinton's lecture 6e, 2012), as ``torch.optim.RMSprop``.

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda \theta                          && \text{weight decay } \lambda \\
    v_t &= \alpha v_{t-1} + (1 - \alpha) g^2                   && \text{mean square} \\
    \bar g_t &= \alpha \bar g_{t-1} + (1 - \alpha) g            && \text{(centered only)} \\
    d &= \sqrt{v_t - \bar g_t^2} + \epsilon \text{ (centered) or } \sqrt{v_t} + \epsilon \\
    b_t &= \mu b_{t-1} + g / d, \quad \theta \leftarrow \theta - \eta b_t
        && \text{when momentum } \mu > 0 \\
    \theta &\leftarrow \theta - \eta \, g / d                  && \text{otherwise}
    \end{aligned}
    $$
    """

    def __init__(
        self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False
    ):
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
        )
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        check_fraction("RMSprop", "alpha", group["alpha"])
        for name in ("eps", "weight_decay", "momentum"):
            check_non_negative("RMSprop", name, group[name])

    def init_state(self, param, group):
        state = {"step": 0, "square_avg": np.zeros_like(param.data)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(param.data)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(param.data)
        return state

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """One RMSprop step on ``param`` in place (see the class docstring)."""
        alpha = group["alpha"]
        state["step"] += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        square_avg = state["square_avg"]
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg *= alpha
            grad_avg += (1 - alpha) * grad
            denominator = np.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denominator = np.sqrt(square_avg) + group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"]
            buffer *= group["momentum"]
            buffer += grad / denominator
            param -= group["lr"] * buffer
        else:
            param -= group["lr"] * (grad / denominator)
