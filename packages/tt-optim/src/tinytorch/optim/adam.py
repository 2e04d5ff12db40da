"""Adam and AdamW: per-coordinate step sizes from running moments of the gradient."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, check_fraction, check_non_negative


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2014), as ``torch.optim.Adam``.

    At step $t$, for a parameter $\theta$ with gradient $g$:

    $$
    \begin{aligned}
    g &\leftarrow g + \lambda \theta        && \text{weight decay (L2) } \lambda \\
    m_t &= \beta_1 m_{t-1} + (1 - \beta_1) g              && \text{first moment} \\
    v_t &= \beta_2 v_{t-1} + (1 - \beta_2) g^2           && \text{second moment} \\
    \hat v_t &= \max(\hat v_{t-1}, v_t) \text{ (amsgrad) or } v_t \\
    \theta &\leftarrow \theta - \frac{\eta}{1 - \beta_1^t}
        \cdot \frac{m_t}{\sqrt{\hat v_t} / \sqrt{1 - \beta_2^t} + \epsilon}
    \end{aligned}
    $$

    The two ``1 - beta^t`` factors undo the bias of moments that start at 0,
    so the very first step moves each coordinate by about ``lr * sign(g)``.
    """

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False
    ):
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )
        super().__init__(params, defaults)

    def check_hyperparameters(self, group):
        super().check_hyperparameters(group)
        name = type(self).__name__
        beta1, beta2 = group["betas"]
        check_fraction(name, "betas[0]", beta1)
        check_fraction(name, "betas[1]", beta2)
        check_non_negative(name, "eps", group["eps"])
        check_non_negative(name, "weight_decay", group["weight_decay"])

    def init_state(self, param, group):
        state = {
            "step": 0,
            "exp_avg": np.zeros_like(param.data),
            "exp_avg_sq": np.zeros_like(param.data),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(param.data)
        return state

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """One Adam step on ``param`` in place (see the class docstring for the math)."""
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        self.adam_step(param, grad, state, group)

    def adam_step(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """The moment updates and the bias-corrected step, shared by Adam and AdamW.

        ``grad`` already includes Adam's L2 term (``update`` added it) and must not be
        written into. ``state`` (from ``init_state``) holds ``"step"`` (the number of
        steps taken before this one: count this one first), ``"exp_avg"`` (m) and
        ``"exp_avg_sq"`` (v), and ``"max_exp_avg_sq"`` with amsgrad: arrays of
        ``param``'s shape, updated in place (the same arrays stay in ``state``, which
        ``state_dict`` saves). ``param`` is changed in place. The first step moves
        each coordinate by about ``lr`` against the sign of its gradient, and the
        trajectory matches PyTorch's.
        """
        # Hint: update the buffers in place (*=, +=, out=): big temporaries cost time.
        # BEGIN SOLUTION
        beta1, beta2 = group["betas"]
        state["step"] += 1
        t = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg *= beta1
        exp_avg += (1 - beta1) * grad
        squared = np.square(grad)
        squared *= 1 - beta2
        exp_avg_sq *= beta2
        exp_avg_sq += squared
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
            exp_avg_sq = state["max_exp_avg_sq"]
        denominator = np.sqrt(exp_avg_sq)
        denominator /= math.sqrt(1 - beta2**t)
        denominator += group["eps"]
        step = np.divide(exp_avg, denominator, out=denominator)
        step *= group["lr"] / (1 - beta1**t)
        param -= step
        # END SOLUTION


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2017), as ``torch.optim.AdamW``.

    The decay shrinks the weights directly instead of joining the gradient,
    so it is not rescaled by Adam's per-coordinate step sizes:

    $$
    \theta \leftarrow \theta (1 - \eta \lambda), \quad
    \text{then the Adam step with } \lambda = 0.
    $$
    """

    def __init__(
        self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False
    ):
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        """Decoupled weight decay: shrink ``param`` in place, then take a plain Adam step.

        The decay multiplies the weights directly (by a factor that depends on the
        group's ``lr`` and ``weight_decay``) and never enters the gradient, so Adam's
        per-coordinate scaling does not touch it; ``adam_step`` does the rest.
        """
        # BEGIN SOLUTION
        if group["weight_decay"] != 0:
            param *= 1 - group["lr"] * group["weight_decay"]
        self.adam_step(param, grad, state, group)
        # END SOLUTION
