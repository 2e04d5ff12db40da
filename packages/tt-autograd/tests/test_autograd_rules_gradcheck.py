"""Every backward rule against gradcheck in float64, on broadcasting and edge shapes.

CASES holds, for every differentiable op of tt-tensor's op table, functions
that reach that op; a new op without cases fails ``test_every_differentiable_op_has_cases``.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from tinytorch.autograd import gradcheck, topological_order
from tinytorch.tensor import Tensor, cat, stack, where
from tinytorch.tensor.ops import DIFFERENTIABLE_OPS

_RNG = np.random.default_rng(7)  # cases are built once, in order: deterministic


def r(*shape):
    """Standard normal values."""
    return _RNG.standard_normal(shape)


def pos(*shape):
    """Values in [0.5, 2): away from 0 where log, sqrt, division and pow are well behaved."""
    return _RNG.uniform(0.5, 2.0, shape)


def away(*shape):
    """Values at least 0.2 from 0 (abs, relu and clip are not differentiable at their kinks)."""
    x = _RNG.uniform(0.2, 2.0, shape)
    return x * _RNG.choice([-1.0, 1.0], shape)


def strided(array):
    """A non-contiguous view of ``array``'s values (every other element of a wider array)."""
    return np.repeat(array, 2, axis=-1)[..., ::2]


BINARY_SHAPES = [
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    ((), (3,)),
    ((4, 1, 3), (2, 1)),
    ((1,), ()),
    ((0, 3), (3,)),
    ((2, 0), (1, 0)),
]


def _binary_cases(fn, positive_b=False):
    make_b = pos if positive_b else r
    cases = [(f"{sa}x{sb}", fn, [r(*sa), make_b(*sb)]) for sa, sb in BINARY_SHAPES]
    cases.append(("strided", fn, [strided(r(2, 3)), strided(make_b(2, 3))]))
    cases.append(("transposed", lambda a, b: fn(a.T, b), [r(3, 2), make_b(2, 3)]))
    cases.append(("same-tensor", lambda a: fn(a, a), [pos(2, 2)]))
    return cases


def _unary_cases(fn, values=r):
    return [
        ("scalar", fn, [values()]),
        ("size-1", fn, [values(1, 1)]),
        ("2x3", fn, [values(2, 3)]),
        ("empty", fn, [values(0, 3)]),
        ("strided", fn, [strided(values(3, 2))]),
        ("transposed", lambda x: fn(x.T), [values(3, 2)]),
    ]


def _reduction_cases(method, **extra):
    def reduce(**kwargs):
        return lambda x: getattr(x, method)(**kwargs, **extra)

    return [
        ("all", reduce(), [r(2, 3)]),
        ("scalar", reduce(), [r()]),
        ("dim0", reduce(dim=0), [r(3, 4)]),
        ("dim-1-keepdim", reduce(dim=-1, keepdim=True), [r(3, 4)]),
        ("axis-tuple", reduce(axis=(0, 2)), [r(2, 3, 4)]),
        ("axis-tuple-keepdims", reduce(axis=(-1, 0), keepdims=True), [r(2, 3, 2)]),
        ("size-1-dim", reduce(dim=1), [r(3, 1)]),
        ("empty-other-dim", reduce(dim=1), [r(0, 3)]),
        ("strided", reduce(dim=0), [strided(r(3, 4))]),
    ]


def _ties(method):
    """Two-way ties: the even split equals the central difference."""

    def fn(x):
        return getattr(x, method)(dim=1)

    return [("ties", fn, [np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 2.0]])])]


def _power(p):
    return lambda x: x**p


def _var(correction):
    return lambda x: x.var(dim=1, correction=correction)


CASES: dict[str, list] = {
    "add": _binary_cases(lambda a, b: a + b) + [("python-scalar", lambda a: 2.0 + a + 1, [r(3)])],
    "sub": _binary_cases(lambda a, b: a - b) + [("reflected", lambda a: 1.0 - a, [r(3)])],
    "mul": _binary_cases(lambda a, b: a * b) + [("reflected", lambda a: 3.0 * a, [r(3)])],
    "div": _binary_cases(lambda a, b: a / b, positive_b=True)
    + [("reflected", lambda a: 2.0 / a, [pos(3)]), ("by-scalar", lambda a: a / 4.0, [r(3)])],
    "maximum": _binary_cases(lambda a, b: a.maximum(b))
    + [("ties", lambda a, b: a.maximum(b), [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])])],
    "minimum": _binary_cases(lambda a, b: a.minimum(b))
    + [("ties", lambda a, b: a.minimum(b), [np.array([1.0, 2.0, 3.0]), np.array([1.0, 5.0, 3.0])])],
    "matmul": [
        ("1d@1d", lambda a, b: a @ b, [r(3), r(3)]),
        ("1d@2d", lambda a, b: a @ b, [r(3), r(3, 4)]),
        ("2d@1d", lambda a, b: a @ b, [r(2, 3), r(3)]),
        ("2d@2d", lambda a, b: a @ b, [r(2, 3), r(3, 4)]),
        ("batched@2d", lambda a, b: a @ b, [r(2, 2, 3), r(3, 4)]),
        ("2d@batched", lambda a, b: a @ b, [r(2, 3), r(2, 3, 4)]),
        ("batched", lambda a, b: a @ b, [r(2, 2, 3), r(2, 3, 4)]),
        ("broadcast-batch", lambda a, b: a @ b, [r(2, 1, 2, 3), r(3, 3, 2)]),
        ("1d@batched", lambda a, b: a @ b, [r(3), r(2, 3, 4)]),
        ("batched@1d", lambda a, b: a @ b, [r(2, 2, 3), r(3)]),
        ("size-1", lambda a, b: a @ b, [r(1, 1), r(1, 1)]),
        ("empty-rows", lambda a, b: a @ b, [r(0, 3), r(3, 2)]),
        ("empty-inner", lambda a, b: a @ b, [r(2, 0), r(0, 3)]),
        ("transposed", lambda a, b: a.T @ b.T, [r(3, 2), r(4, 3)]),
        ("strided", lambda a, b: a @ b, [strided(r(2, 3)), strided(r(3, 2))]),
        ("same-tensor", lambda a: a @ a, [r(3, 3)]),
    ],
    "addmm": [
        ("bias-row", lambda c, a, b: c.addmm(a, b), [r(4), r(2, 3), r(3, 4)]),
        ("bias-column", lambda c, a, b: c.addmm(a, b), [r(2, 1), r(2, 3), r(3, 4)]),
        ("bias-full", lambda c, a, b: c.addmm(a, b), [r(2, 4), r(2, 3), r(3, 4)]),
        ("bias-scalar", lambda c, a, b: c.addmm(a, b), [r(), r(2, 3), r(3, 4)]),
        (
            "beta-alpha",
            lambda c, a, b: c.addmm(a, b, beta=0.5, alpha=-2.0),
            [r(4), r(2, 3), r(3, 4)],
        ),
        ("beta-zero", lambda c, a, b: c.addmm(a, b, beta=0), [r(4), r(2, 3), r(3, 4)]),
        ("transposed", lambda c, a, b: c.addmm(a.T, b.T), [r(4), r(3, 2), r(4, 3)]),
        ("empty-inner", lambda c, a, b: c.addmm(a, b), [r(4), r(2, 0), r(0, 4)]),
        ("same-tensor", lambda c, a: c.addmm(a, a), [r(3), r(3, 3)]),
    ],
    "neg": _unary_cases(lambda x: -x),
    "pow": [(f"p={p}", _power(p), [pos(2, 3)]) for p in (2, 3, 0.5, -1, 1.7, 1, 0)]
    + [(f"negative-base-p={p}", _power(p), [r(2, 3)]) for p in (2, 3, -1)]
    + _unary_cases(lambda x: x**3),
    "pow_tensor": [
        ("tensor-exponent", lambda x, p: x**p, [pos(2, 3), r(3)]),
        ("broadcast-base", lambda x, p: x**p, [pos(3), r(2, 3)]),
        ("number-base", lambda p: 2.5**p, [r(2, 3)]),
        ("negative-base", lambda x: x ** Tensor([2.0, 3.0], dtype=np.float64), [r(4, 2)]),
    ],
    "exp": _unary_cases(Tensor.exp),
    "log": _unary_cases(Tensor.log, pos),
    "sqrt": _unary_cases(Tensor.sqrt, pos),
    "abs": _unary_cases(Tensor.abs, away),
    "sin": _unary_cases(Tensor.sin),
    "cos": _unary_cases(Tensor.cos),
    "tanh": _unary_cases(Tensor.tanh),
    "sigmoid": _unary_cases(Tensor.sigmoid)
    + [("large", Tensor.sigmoid, [np.array([-30.0, 30.0])])],
    "relu": _unary_cases(Tensor.relu, away),
    "clip": [
        ("both", lambda x: x.clip(-0.5, 0.5), [np.array([[-2.0, -0.3, 0.1], [0.45, 0.7, 3.0]])]),
        ("min", lambda x: x.clamp(min=0.0), [away(2, 3)]),
        ("max", lambda x: x.clip(max=0.0), [away(2, 3)]),
        ("scalar", lambda x: x.clip(-1, 1), [np.array(0.3)]),
        ("strided", lambda x: x.clip(-0.5, 0.5), [strided(np.array([[-2.0, 0.2], [0.3, 2.0]]))]),
    ],
    "cast": [
        (
            "float32-round-trip",
            lambda x: x.float().double() * x,
            [r(2, 3)],
            {"eps": 1e-3, "atol": 1e-4},
        ),
        ("float32-output", lambda x: x.float(), [r(3)], {"eps": 1e-3, "atol": 1e-4}),
    ],
    "copy": _unary_cases(Tensor.clone),
    "sum": _reduction_cases("sum"),
    "mean": _reduction_cases("mean"),
    "max": _reduction_cases("max")
    + _ties("max")
    + [
        ("amax-all", lambda x: x.amax(), [r(2, 3)]),
        ("amax-dims-keepdim", lambda x: x.amax(dim=(0, -1), keepdim=True), [r(2, 3, 2)]),
        ("amax-ties", lambda x: x.amax(1), [np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 2.0]])]),
    ],
    "min": _reduction_cases("min")
    + _ties("min")
    + [
        ("amin-dim-1", lambda x: x.amin(-1), [r(3, 4)]),
        ("amin-ties", lambda x: x.amin(0), [np.array([[0.0, 1.0], [0.0, 1.0]])]),
    ],
    "var": [c for c in _reduction_cases("var") if c[0] not in ("scalar", "size-1-dim")]  # N - 1 = 0
    + [("scalar-correction=0", lambda x: x.var(correction=0), [r()])]
    + [(f"correction={c}", _var(c), [r(2, 4)]) for c in (0, 1, 2)]
    + [
        ("unbiased=False", lambda x: x.var(unbiased=False), [r(5)]),
    ],
    "std": [c for c in _reduction_cases("std") if c[0] not in ("scalar", "size-1-dim")]
    + [
        ("dim0", lambda x: x.std(dim=0), [r(4, 2)]),
        ("correction=0", lambda x: x.std(dim=1, correction=0, keepdim=True), [r(3, 4)]),
        ("scalar-dim0", lambda x: x.std(dim=0, correction=0) + x, [r()]),
    ],
    "softmax": [
        ("last", lambda x: x.softmax(), [r(2, 3)]),
        ("dim0", lambda x: x.softmax(dim=0), [r(3, 2)]),
        ("size-1", lambda x: x.softmax(dim=1), [r(3, 1)]),
        ("strided", lambda x: x.softmax(dim=-1), [strided(r(2, 3))]),
        ("large", lambda x: x.softmax(), [np.array([50.0, 0.0, -50.0]) + r(3)]),
    ],
    "log_softmax": [
        ("last", lambda x: x.log_softmax(), [r(2, 3)]),
        ("dim0", lambda x: x.log_softmax(dim=0), [r(3, 2, 2)]),
        ("size-1", lambda x: x.log_softmax(dim=0), [r(1, 3)]),
        ("large", lambda x: x.log_softmax(), [np.array([500.0, 0.0, -500.0]) + r(3)]),
    ],
    "reshape": [
        ("2x3->3x2", lambda x: x.reshape(3, 2), [r(2, 3)]),
        ("flatten", lambda x: x.flatten(), [r(2, 3, 2)]),
        ("view-1", lambda x: x.view(-1, 2), [r(2, 2, 2)]),
        ("scalar", lambda x: x.reshape(1, 1), [r()]),
        ("unsqueeze", lambda x: x.unsqueeze(1), [r(3)]),
        ("squeeze", lambda x: x.squeeze(), [r(1, 3, 1)]),
        ("empty", lambda x: x.reshape(3, 0), [r(0, 3)]),
        ("transposed", lambda x: x.T.reshape(-1), [r(2, 3)]),
        ("strided", lambda x: x.reshape(4), [strided(r(2, 2))]),
    ],
    "permute": [
        ("permute", lambda x: x.permute(2, 0, 1), [r(2, 3, 4)]),
        ("T", lambda x: x.T, [r(2, 3)]),
        ("transpose", lambda x: x.transpose(0, 2), [r(2, 3, 2)]),
        ("empty", lambda x: x.T, [r(0, 3)]),
    ],
    "expand": [
        ("rows", lambda x: x.expand(4, 3), [r(1, 3)]),
        ("new-dims", lambda x: x.expand(2, 3, 4), [r(3, 1)]),
        ("scalar", lambda x: x.expand(2, 2), [r()]),
        ("keep", lambda x: x.expand(-1, 3), [r(2, 1)]),
        ("to-empty", lambda x: x.expand(0, 3), [r(1, 3)]),
    ],
    "getitem": [
        ("int", lambda x: x[1], [r(3, 2)]),
        ("negative-int", lambda x: x[-1, 0], [r(3, 2)]),
        ("slice", lambda x: x[1:3], [r(4, 2)]),
        ("step", lambda x: x[::2, 1:], [r(5, 3)]),
        ("none-ellipsis", lambda x: x[None, ..., 1], [r(2, 3)]),
        ("empty-slice", lambda x: x[2:2], [r(4, 2)]),
        ("repeated-ints", lambda x: x[[0, 0, 2, 0]], [r(3, 2)]),
        ("repeated-pairs", lambda x: x[[0, 1, 0], [1, 1, 1]], [r(2, 3)]),
        ("array-in-tuple", lambda x: x[:, np.array([2, 2, 0])], [r(2, 3)]),
        ("tensor-index", lambda x: x[Tensor([1, 1, 0])], [r(2, 2)]),
        ("bool-mask", lambda x: x[x.detach() > 0], [r(3, 4)]),
        ("bool-rows", lambda x: x[np.array([True, False, True])], [r(3, 2)]),
        ("bool-in-tuple", lambda x: x[:, np.array([True, False, True])], [r(2, 3)]),
        ("empty-int-list", lambda x: x[[]], [r(3, 2)]),
        ("strided", lambda x: x[1:, 0], [strided(r(3, 2))]),
        ("split", lambda x: x.split(2)[1] * 2 + x.split([1, 0, 3])[2].sum(), [r(4, 2)]),
        ("split-dim1-empty-piece", lambda x: x.split([2, 0, 1], dim=1)[1].sum() + x, [r(2, 3)]),
        ("chunk", lambda x: cat(list(x.chunk(3, dim=-1))[::-1], dim=-1), [r(2, 5)]),
    ],
    "cat": [
        ("dim0", lambda a, b: cat([a, b]), [r(2, 3), r(1, 3)]),
        ("dim1", lambda a, b: cat([a, b, a], dim=1), [r(2, 3), r(2, 1)]),
        ("dim-1", lambda a, b: cat([a, b], axis=-1), [r(2, 2), r(2, 3)]),
        ("empty-piece", lambda a, b: cat([a, b]), [r(0, 2), r(2, 2)]),
        (
            "constant-piece",
            lambda a: cat([a, Tensor(np.ones((1, 2)), dtype=np.float64)]),
            [r(2, 2)],
        ),
    ],
    "stack": [
        ("dim0", lambda a, b: stack([a, b]), [r(2, 3), r(2, 3)]),
        ("dim1", lambda a, b: stack([a, b, a], dim=1), [r(2, 3), r(2, 3)]),
        ("dim-1", lambda a, b: stack([a, b], axis=-1), [r(2), r(2)]),
        ("scalars", lambda a, b: stack([a, b]), [r(), r()]),
    ],
    "where": [
        ("same-shape", lambda a, b: where(a.detach() > 0, a, b), [r(2, 3), r(2, 3)]),
        (
            "broadcast",
            lambda a, b: where(Tensor(np.array([True, False, True])), a, b),
            [r(2, 3), r(3)],
        ),
        ("scalar-other", lambda a: where(a.detach() > 0, a, 0.0), [r(2, 3)]),
        ("scalar-first", lambda b: where(b.detach() > 0, 1.0, b), [r(4)]),
        (
            "condition-broadcasts",
            lambda a, b: where(Tensor([[True], [False]]), a, b),
            [r(3), r(2, 1)],
        ),
        ("masked_fill", lambda x: x.masked_fill(x.detach() > 0, 2.0), [r(2, 3)]),
        (
            "masked_fill-tensor-value",
            lambda x, v: x.masked_fill(Tensor([[True], [False]]), v),
            [r(2, 3), r()],
        ),
        ("masked_fill-broadcast", lambda x: x.masked_fill(Tensor([[True], [False]]), 0.0), [r(3)]),
    ],
    "remainder": [
        ("same-shape", lambda a, b: a % b, [away(2, 3) * 3, pos(2, 3)]),
        ("broadcast", lambda a, b: a % b, [away(2, 3) * 3, -pos(3)]),
        ("by-number", lambda a: a % 0.7, [away(4) * 3]),
        ("reflected", lambda b: 5.0 % b, [pos(3) * 1.3]),
        ("empty", lambda a, b: a % b, [r(0, 3), pos(3)]),
    ],
    "cumsum": [
        ("dim0", lambda x: x.cumsum(0), [r(3, 4)]),
        ("dim-1", lambda x: x.cumsum(-1), [r(2, 3, 4)]),
        ("scalar", lambda x: x.cumsum(0), [r()]),
        ("empty", lambda x: x.cumsum(1), [r(2, 0)]),
        ("strided", lambda x: x.cumsum(1), [strided(r(3, 4))]),
    ],
    "prod": [
        ("all", lambda x: x.prod(), [r(2, 3)]),
        ("dim1", lambda x: x.prod(1), [r(3, 4)]),
        ("dim-1-keepdim", lambda x: x.prod(dim=-1, keepdim=True), [r(2, 3, 2)]),
        ("dim0", lambda x: x.prod(0), [r(3, 2)]),
        ("one-zero", lambda x: x.prod(1), [np.array([[0.0, 2.0, 3.0], [1.5, -2.0, 0.0]])]),
        ("two-zeros", lambda x: x.prod(), [np.array([0.0, 2.0, 0.0, 3.0])]),
        ("zeros-keepdim", lambda x: x.prod(0, True), [np.array([[0.0, 1.0], [2.0, 0.0]])]),
        ("scalar", lambda x: x.prod(), [r()]),
        ("size-1-dim", lambda x: x.prod(1), [r(3, 1)]),
        ("empty-dim", lambda x: x.prod(1), [r(2, 0)]),
        ("strided", lambda x: x.prod(0), [strided(r(3, 2))]),
    ],
    "gather": [
        ("dim0", lambda x: x.gather(0, Tensor([[2, 0, 1], [2, 2, 0]])), [r(3, 3)]),
        ("dim1-repeated", lambda x: x.gather(1, Tensor([[1, 1, 1], [0, 2, 0]])), [r(2, 3)]),
        ("dim-1-smaller", lambda x: x.gather(-1, Tensor([[3], [0]])), [r(3, 4)]),
        ("3d", lambda x: x.gather(1, Tensor(np.zeros((2, 2, 1), dtype=np.int64))), [r(2, 3, 2)]),
        ("empty-index", lambda x: x.gather(0, Tensor(np.zeros((0, 2), dtype=np.int64))), [r(2, 2)]),
        ("scalar", lambda x: x.gather(0, Tensor(0)), [r()]),
        ("sort", lambda x: x.sort(dim=1).values, [r(3, 4)]),
        ("sort-descending-dim0", lambda x: x.sort(0, descending=True)[0], [r(3, 2)]),
        ("topk", lambda x: x.topk(2).values, [r(3, 4)]),
        ("topk-smallest-dim0", lambda x: x.topk(1, dim=0, largest=False)[0], [r(3, 4)]),
    ],
    "repeat": [
        ("same-dims", lambda x: x.repeat(2, 3), [r(2, 3)]),
        ("new-dims", lambda x: x.repeat(2, 1, 3), [r(3, 2)]),
        ("ones", lambda x: x.repeat(1, 1), [r(2, 3)]),
        ("scalar", lambda x: x.repeat(3), [r()]),
        ("zero", lambda x: x.repeat(0, 2), [r(2, 3)]),
        ("strided", lambda x: x.repeat(2, 2), [strided(r(2, 2))]),
    ],
    "tril": [
        ("square", lambda x: x.tril(), [r(3, 3)]),
        ("batched-diagonal", lambda x: x.tril(-1), [r(2, 3, 4)]),
        ("wide", lambda x: x.tril(diagonal=2), [r(2, 4)]),
    ],
    "triu": [
        ("square", lambda x: x.triu(), [r(3, 3)]),
        ("batched-diagonal", lambda x: x.triu(1), [r(2, 4, 3)]),
        ("strided", lambda x: x.triu(-1), [strided(r(3, 3))]),
    ],
}


def _assign(index):
    """x[index] = v on a copy of x (gradcheck calls the function many times)."""

    def assign(x, v):
        y = x * 1
        y[index] = v
        return y

    return assign


def _assign_into_constant(v):
    y = Tensor(np.zeros((2, 3)), dtype=np.float64)
    y[:, 1] = v
    return y


CASES["setitem"] = [
    ("row", _assign(1), [r(3, 2), r(2)]),
    ("broadcast-scalar", _assign((slice(None), 0)), [r(3, 2), r()]),
    ("broadcast-row", _assign(slice(0, 2)), [r(3, 2), r(1, 2)]),
    ("int-array", _assign(np.array([0, 2])), [r(3, 2), r(2, 2)]),
    ("bool-mask", _assign(np.array([True, False, True])), [r(3, 2), r(2)]),
    ("everything", _assign(...), [r(2, 2), r(2)]),
    ("into-a-constant", _assign_into_constant, [r(2)]),
]


def _params():
    for op, cases in CASES.items():
        for case in cases:
            name, fn, arrays, *options = case
            yield pytest.param(op, fn, arrays, options[0] if options else {}, id=f"{op}-{name}")


def test_every_differentiable_op_has_cases():
    missing = DIFFERENTIABLE_OPS - CASES.keys()
    assert not missing, f"differentiable ops without a gradcheck case: {sorted(missing)}"


@pytest.mark.parametrize(("op", "fn", "arrays", "options"), list(_params()))
def test_backward_rule_against_gradcheck(op, fn, arrays, options):
    inputs = [
        Tensor(np.array(a, dtype=np.float64), dtype=np.float64, requires_grad=True) for a in arrays
    ]
    for given, made in zip(arrays, inputs, strict=True):  # keep strides: views stay views
        if isinstance(given, np.ndarray) and not given.flags.c_contiguous:
            made.data = given.astype(np.float64, copy=False)
            assert not made.data.flags.c_contiguous
    out = fn(*inputs)
    assert out.requires_grad
    assert op in {node.name for node in topological_order(out.grad_fn)}, (
        f"the case never runs {op!r}"
    )
    assert gradcheck(fn, *inputs, **options)


@pytest.mark.parametrize("op", sorted(CASES))
def test_gradients_of_float32_leaves_are_float32(op):
    """The same cases in float32: every leaf's .grad keeps the leaf's dtype and shape."""
    for _, fn, arrays, *_ in CASES[op]:
        inputs = [Tensor(np.array(a, dtype=np.float32), requires_grad=True) for a in arrays]
        out = fn(*inputs)
        out.backward(np.ones(out.shape, dtype=out.dtype))
        for x in inputs:
            if x.grad is not None:
                assert x.grad.dtype == np.float32
                assert x.grad.shape == x.shape
                assert isinstance(x.grad.data, np.ndarray)


# ----------------------------------------------------------------------------- exact values


def test_max_ties_split_the_gradient_evenly(leaf):
    x = leaf([[2.0, 2.0, 2.0], [1.0, 5.0, 5.0]])
    x.max(dim=1).sum().backward()
    assert_allclose(x.grad.numpy(), [[1 / 3, 1 / 3, 1 / 3], [0.0, 0.5, 0.5]])
    y = leaf([4.0, 1.0, 4.0, 4.0])
    y.max().backward()
    assert_allclose(y.grad.numpy(), [1 / 3, 0.0, 1 / 3, 1 / 3])
    z = leaf([[0.0, -1.0], [0.0, 3.0]])
    z.min(dim=0, keepdim=True).sum().backward()
    assert_allclose(z.grad.numpy(), [[0.5, 1.0], [0.5, 0.0]])


def test_max_ties_are_deterministic(leaf):
    grads = []
    for _ in range(3):
        x = leaf([1.0, 7.0, 7.0, 7.0, 7.0])
        x.max().backward()
        grads.append(x.grad.numpy().copy())
    assert all(np.array_equal(grads[0], g) for g in grads)
    assert_allclose(grads[0], [0.0, 0.25, 0.25, 0.25, 0.25])


def test_maximum_and_minimum_ties_split_evenly(leaf):
    a, b = leaf([1.0, 2.0, 3.0]), leaf([1.0, 5.0, 0.0])
    a.maximum(b).sum().backward()
    assert_allclose(a.grad.numpy(), [0.5, 0.0, 1.0])
    assert_allclose(b.grad.numpy(), [0.5, 1.0, 0.0])
    a, b = leaf([[1.0, 2.0]]), leaf([2.0])
    a.minimum(b).sum().backward()
    assert_allclose(a.grad.numpy(), [[1.0, 0.5]])
    assert_allclose(b.grad.numpy(), [0.5])


def test_getitem_with_repeated_indices_adds_up(leaf):
    x = leaf([10.0, 20.0, 30.0])
    x[[0, 0, 2, 0]].sum().backward()
    assert_allclose(x.grad.numpy(), [3.0, 0.0, 1.0])
    m = leaf(np.zeros((2, 2)))
    m[Tensor([1, 1]), Tensor([0, 0])].sum().backward()
    assert_allclose(m.grad.numpy(), [[0.0, 0.0], [2.0, 0.0]])


def test_getitem_with_a_boolean_mask_routes_gradient_to_selected_elements(leaf):
    x = leaf([[1.0, -1.0], [-2.0, 3.0]])
    (x[x.detach() > 0] * Tensor([2.0, 5.0], dtype=np.float64)).sum().backward()
    assert_allclose(x.grad.numpy(), [[2.0, 0.0], [0.0, 5.0]])


def test_pow_zero_has_zero_gradient_even_at_zero(leaf):
    x = leaf([0.0, 2.0])
    (x**0).sum().backward()
    assert_allclose(x.grad.numpy(), [0.0, 0.0])


def test_relu_and_abs_gradients_at_zero_are_zero(leaf):
    x = leaf([0.0, 0.0])
    (x.relu() + x.abs()).sum().backward()
    assert_allclose(x.grad.numpy(), [0.0, 0.0])


def test_var_with_too_few_elements_gives_nan_not_an_exception(leaf):
    x = leaf([3.0])
    with np.errstate(divide="ignore", invalid="ignore"), pytest.warns(RuntimeWarning):
        x.var().backward()
    assert np.isnan(x.grad.numpy()).all()


def test_cast_gradient_returns_in_the_input_dtype(leaf):
    x = leaf([1.0, 2.0])
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * 3).sum().backward()
    assert x.grad.dtype == np.float64
    assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_expand_sums_over_the_copies(leaf):
    x = leaf([[1.0], [2.0]])
    x.expand(2, 3).sum().backward()
    assert_allclose(x.grad.numpy(), [[3.0], [3.0]])


# ---------------------------------------------------------------------- exact values, new ops


def test_prod_gradient_with_zeros_is_the_product_of_the_others(leaf):
    x = leaf([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    x.prod(1).sum().backward()
    assert_allclose(x.grad.numpy(), [[6.0, 0.0, 0.0], [0.0, 0.0, 0.0], [6.0, 3.0, 2.0]])
    assert np.isfinite(x.grad.numpy()).all()
    y = leaf([2.0, 0.0, 5.0])
    y.prod().backward()
    assert_allclose(y.grad.numpy(), [0.0, 10.0, 0.0])


def test_amax_three_way_tie_splits_in_thirds(leaf):
    x = leaf([[4.0, 1.0, 4.0, 4.0]])
    x.amax(dim=1).sum().backward()
    assert_allclose(x.grad.numpy(), [[1 / 3, 0.0, 1 / 3, 1 / 3]])


def test_sort_gradient_goes_to_the_position_each_value_came_from(leaf):
    x = leaf([2.0, 1.0, 2.0, 0.5])
    values, indices = x.sort()
    assert not indices.requires_grad and indices.grad_fn is None
    (values * Tensor([1.0, 2.0, 3.0, 4.0], dtype=np.float64)).sum().backward()
    assert_allclose(x.grad.numpy(), [3.0, 2.0, 4.0, 1.0])  # stable: the first 2.0 sorts first


def test_gather_adds_the_gradient_of_repeated_reads(leaf):
    x = leaf([[1.0, 2.0, 3.0]])
    x.gather(1, Tensor([[2, 2, 0, 2]])).sum().backward()
    assert_allclose(x.grad.numpy(), [[1.0, 0.0, 3.0]])


def test_cumsum_gradient_is_the_reversed_running_sum(leaf):
    x = leaf([1.0, 2.0, 3.0])
    x.cumsum(0).backward(Tensor([1.0, 10.0, 100.0], dtype=np.float64))
    assert_allclose(x.grad.numpy(), [111.0, 110.0, 100.0])


def test_floor_divide_output_does_not_require_grad(leaf):
    x = leaf([1.5, -2.5])
    assert not (x // 2).requires_grad
    assert (x % 2).requires_grad


def test_masked_fill_sends_the_filled_gradient_to_a_tensor_value(leaf):
    x, value = leaf([[1.0, 2.0, 3.0]]), leaf(5.0)
    x.masked_fill(Tensor([True, False, True]), value).sum().backward()
    assert_allclose(x.grad.numpy(), [[0.0, 1.0, 0.0]])
    assert_allclose(value.grad.numpy(), 2.0)


def test_setitem_value_with_leading_size_1_dims_gets_a_gradient_of_its_own_shape(leaf):
    """NumPy drops a written value's leading size-1 dims: (1, 2) fills a (2,) slot."""
    x = leaf([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    value = leaf([[7.0, 8.0]])
    y = x * 1
    y[1] = value
    (y * Tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=np.float64)).sum().backward()
    assert value.grad.shape == (1, 2)
    assert_allclose(value.grad.numpy(), [[3.0, 4.0]])
    assert_allclose(x.grad.numpy(), [[1.0, 2.0], [0.0, 0.0], [5.0, 6.0]])
