"""Checks a milestone runs before it trains, so that a broken package is named, not guessed at.

A wrong gradient rarely stops training: a bias gradient averaged instead of
summed is just a smaller learning rate, and a graph walked in the wrong order
still lowers the loss a little. So before a milestone trains, it checks its
own model on a tiny batch, in float64:

1. ``check_gradients``: for each parameter, the derivative of the loss along a
   random direction ``u``, from backward (``<dL/dp, u>``) and from central
   differences (``(L(p + eps u) - L(p - eps u)) / 2 eps``), must agree.
2. When a parameter fails, ``check_ops`` re-runs every op of tt-tensor's op
   table that the loss used, each on its own (same inputs, same parameters,
   float64), with the same directional test. A failing op names its backward
   rule (tt-autograd) or kernel (tt-tensor); if every op passes alone, the
   fault is in how gradients are combined: the engine (tt-autograd) or a
   ``Function`` of the package that owns the failing parameter's layer.

``check_causal`` is milestone 05's: logits at position t must not change when
tokens after t do.

Only public APIs are used (``Tensor``, ``backward``, ``no_grad``, the
dispatcher's op hook), so the checks work on a student's packages as well
as on the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

EPS = 1e-6       # float64 central differences: truncation and rounding both ~1e-10 here
RTOL = 1e-4
ATOL = 1e-8
# When a layer builds float32 tensors of its own, the check runs in float32 with a
# larger step; realistic bugs (a factor of 2 or of the batch size, a lost path) are
# still far outside this tolerance.
FLOAT32_EPS, FLOAT32_RTOL, FLOAT32_ATOL = 1e-3, 2e-2, 1e-5


@dataclass
class Mismatch:
    """One directional derivative that backward and finite differences disagree on."""

    name: str           # a parameter's name, or an op's name
    analytic: float     # <gradient from backward, u>
    numeric: float      # the same derivative from central differences
    note: str = ""

    def __str__(self) -> str:
        text = (f"{self.name}: backward gives {self.analytic:.6g} along a random direction, "
                f"finite differences {self.numeric:.6g}")
        return f"{text} ({self.note})" if self.note else text


def agree(analytic: float, numeric: float, rtol: float = RTOL, atol: float = ATOL) -> bool:
    return abs(analytic - numeric) <= atol + rtol * max(abs(analytic), abs(numeric))


def directional_mismatches(
    loss_fn: Callable[[], object], leaves: Mapping[str, object], seed: int = 0,
    eps: float = EPS, rtol: float = RTOL, atol: float = ATOL,
) -> list[Mismatch]:
    """Compare backward with central differences along one random direction per leaf.

    ``loss_fn()`` computes a scalar Tensor from the float64 tensors in
    ``leaves`` (which require grad). A leaf that gets no gradient counts as a
    gradient of zero, so a cut graph shows up as a mismatch.
    """
    from tinytorch.autograd import no_grad

    rng = np.random.default_rng(seed)
    for leaf in leaves.values():
        leaf.grad = None
    loss_fn().backward()
    gradients = {name: None if t.grad is None else np.array(t.grad.data, dtype=np.float64)
                 for name, t in leaves.items()}
    mismatches = []
    for name, leaf in leaves.items():
        direction = rng.standard_normal(leaf.data.shape)
        direction /= max(float(np.linalg.norm(direction)), 1e-12)
        grad = gradients[name]
        analytic = 0.0 if grad is None else float(np.sum(grad * direction))
        original = leaf.data.copy()
        try:
            with no_grad():
                leaf.data[...] = original + eps * direction
                plus = float(loss_fn().item())
                leaf.data[...] = original - eps * direction
                minus = float(loss_fn().item())
        finally:
            leaf.data[...] = original
        numeric = (plus - minus) / (2 * eps)
        if not agree(analytic, numeric, rtol, atol):
            note = "it received no gradient at all" if grad is None else ""
            mismatches.append(Mismatch(name, analytic, numeric, note))
    for leaf in leaves.values():
        leaf.grad = None
    return mismatches


class in_float64:
    """Within the block the parameters compute in float64; their float32 arrays come back after."""

    def __init__(self, parameters: Mapping[str, object]):
        self.parameters = parameters
        self.saved: dict[str, tuple[np.ndarray, object]] = {}

    def __enter__(self):
        for name, p in self.parameters.items():
            self.saved[name] = (p.data, p.grad)
            p.data = np.array(p.data, dtype=np.float64)
            p.grad = None
        return self.parameters

    def __exit__(self, *exc) -> None:
        for name, p in self.parameters.items():
            p.data, p.grad = self.saved[name]


def check_gradients(
    loss_fn: Callable[[], object], parameters: Mapping[str, object], seed: int = 0
) -> list[Mismatch]:
    """The parameters whose gradient disagrees with finite differences (float64, tiny batch).

    ``loss_fn()`` must compute the loss from the current parameters (build the
    model's output inside it, on a fixed small batch of float64 inputs, with any
    randomness such as dropout seeded inside it too). The parameters' values and gradients are left
    as they were.
    """
    from tinytorch.tensor import DTypeError

    try:
        with in_float64(parameters):
            return directional_mismatches(loss_fn, parameters, seed)
    except (DTypeError, TypeError):  # a layer makes float32 tensors itself: check in float32
        return directional_mismatches(
            loss_fn, parameters, seed, FLOAT32_EPS, FLOAT32_RTOL, FLOAT32_ATOL
        )


def record_ops(loss_fn: Callable[[], object]) -> list[tuple[str, tuple, dict]]:
    """Every op of tt-tensor's op table that ``loss_fn()`` runs: (name, inputs, params)."""
    from tinytorch.tensor import dispatch
    from tinytorch.tensor.ops import OP_TABLE

    calls = []

    def observe(op_name, inputs, params, outputs, seconds):
        if op_name in OP_TABLE and OP_TABLE[op_name].differentiable:
            calls.append((op_name, tuple(inputs), dict(params)))

    with dispatch.register_op_hook(observe):
        loss_fn()
    return calls


def check_ops(loss_fn: Callable[[], object], parameters: Mapping[str, object],
              seed: int = 0) -> list[Mismatch]:
    """Every op of the op table the loss uses, checked on its own in float64.

    Each op runs again on float64 copies of the inputs it had; its output is
    projected on a fixed random tensor to give a scalar, and that scalar's
    directional derivatives are checked for each float input.
    """
    from tinytorch.autograd import no_grad
    from tinytorch.tensor import DTypeError, Tensor, dispatch

    try:
        with in_float64(parameters):
            calls = record_ops(loss_fn)
    except (DTypeError, TypeError):
        calls = record_ops(loss_fn)
    mismatches, seen = [], set()
    rng = np.random.default_rng(seed)
    for op_name, inputs, params in calls:
        if op_name in seen:
            continue
        seen.add(op_name)
        leaves = {f"{op_name} input {i}":
                  Tensor(np.array(t.data, dtype=np.float64), dtype=np.float64, requires_grad=True)
                  for i, t in enumerate(inputs) if np.asarray(t.data).dtype.kind == "f"}
        if not leaves:
            continue
        arguments = [leaves.get(f"{op_name} input {i}", t) for i, t in enumerate(inputs)]
        with no_grad():  # only the output's shape is needed here
            probe = dispatch.apply(op_name, *arguments, **params)
        weights = Tensor(rng.standard_normal(probe.data.shape), dtype=np.float64)

        def projected(arguments=arguments, params=params, weights=weights, op_name=op_name):
            return (dispatch.apply(op_name, *arguments, **params) * weights).sum()

        for mismatch in directional_mismatches(projected, leaves, seed):
            mismatch.note = (f"the op {op_name!r}: its backward rule in tt-autograd or its kernel "
                             "in tt-tensor")
            mismatches.append(mismatch)
    return mismatches


def package_of(obj) -> str:
    """The tt-* distribution an object's class comes from (``tinytorch.nn.linear`` -> tt-nn)."""
    module = type(obj).__module__
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "tinytorch":
        return f"tt-{parts[1]}"
    return module


def diagnose(loss_fn: Callable[[], object], parameters: Mapping[str, object],
             owners: Mapping[str, object] | None = None) -> str | None:
    """None when every gradient is right; else a diagnosis naming the culprit and what to run.

    ``owners`` maps a parameter's name to the module that holds it (to name
    its package when no single op is at fault).
    """
    wrong = check_gradients(loss_fn, parameters)
    if not wrong:
        return None
    lines = ["wrong gradients before training (float64, finite differences on a tiny batch):"]
    lines += [f"  - {m}" for m in wrong]
    ops = check_ops(loss_fn, parameters)
    if ops:
        lines.append("checked one op at a time, these ops are wrong on their own:")
        lines += [f"  - {m}" for m in ops]
        names = sorted({m.name.split(" input")[0] for m in ops})
        lines.append(f'next: nox -s "test(tt-autograd)" -- -k "{" or ".join(names)}"')
        return "\n".join(lines)
    packages = sorted({package_of(owners[m.name]) for m in wrong if owners and m.name in owners})
    lines.append(
        "every op of the op table passes this check on its own, so the fault is in how the "
        "gradients are combined: tt-autograd's engine (topological order, accumulation of a "
        "tensor used twice)"
        + (f", or a Function (backward) of {', '.join(packages)}" if packages else "")
    )
    suspects = ["tt-autograd", *[p for p in packages if p != "tt-autograd"]]
    lines.append("next: " + "; ".join(f'nox -s "test({p})"' for p in suspects))
    return "\n".join(lines)


def check_causal(logits_fn: Callable[[np.ndarray], np.ndarray], tokens: np.ndarray,
                 vocab_size: int, seed: int = 0) -> float:
    """The largest change of the logits at positions <= t when only tokens after t change.

    ``logits_fn(tokens)`` maps (N, T) token ids to (N, T, V) logits. For a causal
    model this is 0 (up to rounding) for every t; a mask that lets position t
    see t + 1 gives a change of the size of the logits themselves.
    """
    rng = np.random.default_rng(seed)
    tokens = np.asarray(tokens)
    base = np.asarray(logits_fn(tokens))
    length = tokens.shape[1]
    leak = 0.0
    for t in sorted({0, length // 2, length - 2}):
        if t < 0 or t + 1 >= length:
            continue
        changed = tokens.copy()
        changed[:, t + 1:] = rng.integers(0, vocab_size, size=changed[:, t + 1:].shape)
        after = np.asarray(logits_fn(changed))
        leak = max(leak, float(np.abs(after[:, : t + 1] - base[:, : t + 1]).max()))
    return leak


# ----------------------------------------------------------------------------- optimizers

TRAJECTORY_START = (1.0, -2.0, 0.5)
TRAJECTORY_CURVATURE = (1.0, 10.0, 0.1)   # f(x) = sum(a x^2 + b x): one stiff, one flat direction
TRAJECTORY_SLOPE = (0.5, -1.0, 2.0)


def optimizer_trajectory(make_optimizer: Callable[[list], object], steps: int) -> np.ndarray:
    """Where ``make_optimizer([x])`` takes x in ``steps`` steps on a fixed quadratic (float64).

    The quadratic f(x) = sum(a x^2 + b x) has one stiff and one flat direction,
    so momentum, per-coordinate scaling and bias correction all leave their mark
    on the path. Returns the (steps, 3) positions after each step.
    """
    from tinytorch.tensor import Tensor

    x = Tensor(np.array(TRAJECTORY_START), dtype=np.float64, requires_grad=True)
    a = Tensor(np.array(TRAJECTORY_CURVATURE), dtype=np.float64)
    b = Tensor(np.array(TRAJECTORY_SLOPE), dtype=np.float64)
    optimizer = make_optimizer([x])
    path = []
    for _ in range(steps):
        optimizer.zero_grad()
        (a * x * x + b * x).sum().backward()
        optimizer.step()
        path.append(np.array(x.data, dtype=np.float64))
    return np.stack(path)


def trajectory_error(make_optimizer: Callable[[list], object], expected) -> float:
    """The largest distance between this optimizer's path and ``expected``, relative to its scale.

    ``expected`` is the (steps, 3) path PyTorch's optimizer of the same settings
    takes (recorded in the milestone, checked against torch by the milestone's
    tests): an update rule with a wrong formula (Adam without bias correction,
    momentum applied twice, weight decay of the wrong sign) is far off within a
    few steps.
    """
    expected = np.asarray(expected, dtype=np.float64)
    path = optimizer_trajectory(make_optimizer, len(expected))
    scale = max(float(np.abs(expected).max()), 1e-12)
    return float(np.abs(path - expected).max() / scale)
