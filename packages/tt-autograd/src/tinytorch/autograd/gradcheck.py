"""gradcheck: compare backward() with finite differences, in float64.

For a function f and a fixed random direction v of its output, the scalar
L(x) = sum(f(x) * v) has gradient dL/dx = J^T v, which backward() computes.
Central differences estimate the same numbers one element at a time:

    dL/dx_i  ~  (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)

with an error of order eps^2, which is why inputs must be float64. Any wrong
entry of the Jacobian shows up in J^T v for a random v (with probability 1),
so one backward call checks them all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from tinytorch.tensor import Tensor

from .grad_mode import no_grad


class GradcheckError(AssertionError):
    """backward() and finite differences disagree; the message says where."""


def _outputs(result: Any) -> tuple[Tensor, ...]:
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    return tuple(o for o in outputs if isinstance(o, Tensor))


def _projected_loss(fn: Callable, args: tuple, directions: list[np.ndarray]) -> float:
    """L = sum_k sum(f_k(args) * v_k), without recording a graph."""
    with no_grad():
        outputs = _outputs(fn(*args))
    return float(
        sum(np.sum(o.data.astype(np.float64) * v) for o, v in zip(outputs, directions, strict=True))
    )


def _check_inputs(inputs: tuple) -> list[int]:
    """Indices of the tensors to check; they must be float64 and require grad."""
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input tensor requires grad, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite differences need "
                "float64 inputs (create them with dtype=np.float64 or call .double())"
            )
    return checked


def _report(
    index: int, analytic: np.ndarray, numeric: np.ndarray, bad: np.ndarray, show: int = 5
) -> str:
    positions = np.argwhere(bad)[:show]
    lines = [
        f"input {index} (shape {analytic.shape}): {int(bad.sum())} of {bad.size} gradient "
        "elements disagree with finite differences"
    ]
    for pos in positions:
        where = tuple(int(p) for p in pos)
        lines.append(
            f"  at {where}: backward gave {analytic[where]:.6g}, "
            f"finite differences {numeric[where]:.6g}"
        )
    return "\n".join(lines)


def gradcheck(
    fn: Callable[..., Any],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
    raise_exception: bool = True,
) -> bool:
    """Check the gradients of ``fn`` at ``inputs`` against central differences.

    Args:
        fn: a function of the inputs returning a Tensor or a tuple of Tensors.
        inputs: the arguments of ``fn``; float64 Tensors with
            ``requires_grad=True`` are checked, anything else is passed through.
        eps: the finite-difference step.
        atol: the absolute tolerance: an element passes when
            |analytic - numeric| <= atol + rtol |numeric|.
        rtol: the relative tolerance, in the same test.
        seed: seeds the random output direction v.
        raise_exception: raise ``GradcheckError`` on a mismatch (else return False).

    Returns:
        True when every checked input's gradient matches.

    Examples:
        >>> x = Tensor(np.random.randn(3, 4), dtype=np.float64, requires_grad=True)
        >>> gradcheck(lambda t: (t * t).sum(dim=1), x)
        True
    """
    checked = _check_inputs(inputs)
    rng = np.random.default_rng(seed)
    outputs = _outputs(fn(*inputs))
    directions = [rng.standard_normal(o.shape) for o in outputs]
    differentiable = [(o, v) for o, v in zip(outputs, directions, strict=True) if o.requires_grad]
    if not differentiable:
        raise GradcheckError("gradcheck: no output of fn requires grad, so backward() cannot run")
    saved_grads = {i: inputs[i].grad for i in checked}
    try:  # the inputs' own .grad comes back whatever fn or backward() raise
        for i in checked:
            inputs[i].grad = None
        total = sum((o * Tensor(v, dtype=o.dtype)).sum() for o, v in differentiable)
        total.backward()
        analytic = {i: _gradient_or_zeros(inputs[i]) for i in checked}
    finally:
        for i in checked:
            inputs[i].grad = saved_grads[i]

    problems = []
    for i in checked:
        numeric = _numeric_gradient(fn, inputs, i, directions, eps)
        bad = ~np.isclose(analytic[i], numeric, atol=atol, rtol=rtol)
        if bad.any():
            problems.append(_report(i, analytic[i], numeric, bad))
    if problems and raise_exception:
        raise GradcheckError("gradcheck failed:\n" + "\n".join(problems))
    return not problems


def _gradient_or_zeros(x: Tensor) -> np.ndarray:
    """x.grad in float64; zeros when no gradient reached x."""
    return np.zeros(x.shape) if x.grad is None else x.grad.data.astype(np.float64)


def _numeric_gradient(fn, inputs: tuple, index: int, directions, eps: float) -> np.ndarray:
    """Central differences of the projected loss with respect to ``inputs[index]``."""
    x = inputs[index].data
    if not x.flags.writeable:
        raise ValueError(
            f"gradcheck: input {index} must be a writeable array (not a broadcast view)"
        )
    numeric = np.zeros(x.shape, dtype=np.float64)
    for k in np.ndindex(x.shape):  # any strides: non-contiguous views and empty arrays too
        original = x[k]
        try:
            x[k] = original + eps
            plus = _projected_loss(fn, inputs, directions)
            x[k] = original - eps
            minus = _projected_loss(fn, inputs, directions)
        finally:  # the input's data is never left perturbed, even when fn raises
            x[k] = original
        numeric[k] = (plus - minus) / (2 * eps)
    return numeric
