"""Gradient clipping: ``clip_grad_norm_`` and ``clip_grad_value_``.

PyTorch keeps these in ``torch.nn.utils``. In tinytorch they live in
tt-optim (``tinytorch.optim.clip_grad_norm_``), next to the optimizers,
because tt-nn builds models and tt-optim owns training: clipping is a step
of the update, between ``backward()`` and ``optimizer.step()``.

One deliberate difference from PyTorch: a non-finite gradient norm (an
``inf`` or ``nan`` somewhere in the gradients) raises
``NonFiniteGradientError`` by default, naming the parameters at fault,
instead of scaling every gradient by ``nan``. With ``error_if_nonfinite=False``
the gradients are left untouched and the non-finite norm is returned, so the
caller can skip the step.
"""

from __future__ import annotations

import numpy as np
from tinytorch.tensor import Tensor

from .optimizer import grad_array


class NonFiniteGradientError(FloatingPointError):
    """The gradients hold ``inf`` or ``nan``: the step would destroy the weights.

    Attributes (set by the Trainer, None from the clipping functions):
    ``parameters`` (names of the parameters at fault), ``epoch``, ``global_step``.
    """

    def __init__(
        self,
        message: str,
        parameters: list[str] | None = None,
        epoch: int | None = None,
        global_step: int | None = None,
    ):
        super().__init__(message)
        self.parameters, self.epoch, self.global_step = parameters, epoch, global_step


def clip_grad_norm_(
    parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = True
) -> Tensor:
    r"""Scale all gradients together so that their joint norm is at most ``max_norm``.

    $$
    \|g\| = \Big(\sum_p \|g_p\|_q^q\Big)^{1/q} \quad (q = \text{norm\_type};
        \ q = \infty: \max_p \max |g_p|), \qquad
    g_p \leftarrow g_p \cdot \min\Big(1, \frac{\text{max\_norm}}{\|g\| + 10^{-6}}\Big)
    $$

    Args:
        parameters: tensors (e.g. ``model.parameters()``), a single tensor, or
            ``(name, tensor)`` pairs (``model.named_parameters()``, for better
            error messages). Tensors without ``.grad`` are ignored.
        max_norm: the largest allowed total norm.
        norm_type: ``q`` of the q-norm (2.0 by default; ``float("inf")`` for the max norm).
        error_if_nonfinite: raise NonFiniteGradientError when the norm is ``inf``
            or ``nan`` (default); if False, leave the gradients as they are.

    Returns:
        The total norm of the gradients before clipping, a 0-d Tensor.
    """
    named = named_gradients(parameters)
    if not named:
        return Tensor(np.float32(0.0))
    total = total_norm([grad for _, grad in named], float(norm_type))
    if not np.isfinite(total):
        if error_if_nonfinite:
            raise NonFiniteGradientError(nonfinite_message(named, total, norm_type))
        return Tensor(np.asarray(total))
    # BEGIN SOLUTION
    scale = max_norm / (float(total) + 1e-6)
    if scale < 1.0:  # within the limit: leave the gradients alone (no pass over them)
        for _, grad in named:
            grad *= scale
    # END SOLUTION
    return Tensor(np.asarray(total))


def total_norm(grads: list[np.ndarray], norm_type: float) -> np.floating:
    """The q-norm of all gradients taken as one long vector (the norm of the per-tensor norms)."""
    # Hint: np.linalg.norm(..., ord=norm_type) handles every q, float("inf") included.
    # BEGIN SOLUTION
    per_tensor = np.array([np.linalg.norm(g.ravel(), ord=norm_type) for g in grads])
    return np.linalg.norm(per_tensor, ord=norm_type).astype(grads[0].dtype)
    # END SOLUTION


def clip_grad_value_(parameters, clip_value: float, *, error_if_nonfinite: bool = True) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]`` in place.

    A ``nan`` gradient raises NonFiniteGradientError by default (clamping would
    hide it, or turn an ``inf`` into a plausible-looking value).
    """
    named = named_gradients(parameters)
    if error_if_nonfinite and not all(np.isfinite(g).all() for _, g in named):
        raise NonFiniteGradientError(nonfinite_message(named, None, None))
    clip_value = float(clip_value)
    for _, grad in named:
        np.clip(grad, -clip_value, clip_value, out=grad)


def named_gradients(parameters) -> list[tuple[str, np.ndarray]]:
    """``(name, grad array)`` of each parameter with a gradient; unnamed ones are numbered."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    named = []
    for index, item in enumerate(parameters):
        name, param = item if isinstance(item, tuple) else (f"parameter {index}", item)
        if param.grad is not None:
            named.append((str(name), grad_array(param)))
    return named


def nonfinite_message(named: list[tuple[str, np.ndarray]], total, norm_type) -> str:
    """Which gradients hold inf or nan, with how many entries each."""
    bad = []
    for name, grad in named:
        nans, infs = int(np.isnan(grad).sum()), int(np.isinf(grad).sum())
        if nans or infs:
            bad.append(f"{name} (shape {grad.shape}: {nans} nan, {infs} inf)")
    head = (
        f"the total gradient norm (norm_type={norm_type}) is {float(total)}"
        if total is not None
        else "gradients are not finite"
    )
    return (
        f"{head}; non-finite gradients in: {', '.join(bad) or 'none (the norm overflowed)'}. "
        "Clipping would spread them to every weight. Check the loss for inf/nan, lower the "
        "learning rate, or pass error_if_nonfinite=False to skip this check."
    )
