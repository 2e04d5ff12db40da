"""The op table contract: what tt-autograd (the reference or a student's) relies on.

The op names, each op's arity, keyword parameters and differentiable flag,
and the kernel calling convention (NumPy arrays in, a NumPy array out,
parameters as keywords) are pinned here. Changing any of them is a breaking
change of tt-tensor's public API.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from tinytorch.tensor import Tensor, cat, ops, stack, where
from tinytorch.tensor.ops import OP_TABLE, VARIADIC

REDUCE = ("axis", "keepdims")

# name: (arity, params, differentiable)
CONTRACT = {
    "add": (2, (), True),
    "sub": (2, (), True),
    "mul": (2, (), True),
    "div": (2, (), True),
    "maximum": (2, (), True),
    "minimum": (2, (), True),
    "matmul": (2, (), True),
    "addmm": (3, ("beta", "alpha"), True),
    "neg": (1, (), True),
    "pow": (1, ("exponent",), True),
    "pow_tensor": (2, (), True),
    "exp": (1, (), True),
    "log": (1, (), True),
    "sqrt": (1, (), True),
    "abs": (1, (), True),
    "sin": (1, (), True),
    "cos": (1, (), True),
    "tanh": (1, (), True),
    "sigmoid": (1, (), True),
    "relu": (1, (), True),
    "clip": (1, ("min", "max"), True),
    "cast": (1, ("dtype",), True),
    "eq": (2, (), False),
    "ne": (2, (), False),
    "lt": (2, (), False),
    "le": (2, (), False),
    "gt": (2, (), False),
    "ge": (2, (), False),
    "sum": (1, REDUCE, True),
    "mean": (1, REDUCE, True),
    "max": (1, REDUCE, True),
    "min": (1, REDUCE, True),
    "var": (1, (*REDUCE, "correction"), True),
    "std": (1, (*REDUCE, "correction"), True),
    "softmax": (1, ("axis",), True),
    "log_softmax": (1, ("axis",), True),
    "argmax": (1, REDUCE, False),
    "argmin": (1, REDUCE, False),
    "reshape": (1, ("shape",), True),
    "permute": (1, ("dims",), True),
    "expand": (1, ("shape",), True),
    "getitem": (1, ("index",), True),
    "setitem": (2, ("index",), True),
    "cat": (VARIADIC, ("axis",), True),
    "stack": (VARIADIC, ("axis",), True),
    "where": (3, (), True),
    "copy": (1, (), True),
    "floor_divide": (2, (), False),
    "remainder": (2, (), True),
    "cumsum": (1, ("axis",), True),
    "prod": (1, REDUCE, True),
    "any": (1, REDUCE, False),
    "all": (1, REDUCE, False),
    "argsort": (1, ("axis", "descending"), False),
    "gather": (2, ("axis",), True),
    "repeat": (1, ("repeats",), True),
    "tril": (1, ("diagonal",), True),
    "triu": (1, ("diagonal",), True),
}


def test_the_exact_set_of_op_names():
    assert set(OP_TABLE) == set(CONTRACT)


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_arity_params_and_differentiable_flag(name):
    arity, params, differentiable = CONTRACT[name]
    op = OP_TABLE[name]
    assert op.name == name
    assert op.arity == arity
    assert tuple(op.params) == params
    assert op.differentiable is differentiable


def test_differentiable_ops_set():
    assert ops.DIFFERENTIABLE_OPS == frozenset(n for n, (_, _, d) in CONTRACT.items() if d)


def test_variadic_marker():
    assert VARIADIC == -1


@pytest.mark.parametrize("name", sorted(CONTRACT))
def test_kernel_signature_takes_arrays_positionally_and_params_as_keywords(name):
    op = OP_TABLE[name]
    signature = inspect.signature(op.kernel).parameters.values()
    positional = [
        p for p in signature if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in op.params
    ]
    variadic = [p for p in signature if p.kind is p.VAR_POSITIONAL]
    keywords = {p.name for p in signature if p.name in op.params}
    if op.arity == VARIADIC:
        assert len(variadic) == 1 and not positional
    else:
        assert len(positional) == op.arity
        assert not variadic
    assert keywords == set(op.params)


# One example call per op: input arrays, params, and the NumPy result expected.
A = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]])
B = np.array([2.0, 0.5, -3.0])
P = np.abs(A) + 0.5
M = np.arange(12.0).reshape(3, 4)
EXAMPLES = {
    "add": ((A, B), {}, A + B),
    "sub": ((A, B), {}, A - B),
    "mul": ((A, B), {}, A * B),
    "div": ((A, B), {}, A / B),
    "maximum": ((A, B), {}, np.maximum(A, B)),
    "minimum": ((A, B), {}, np.minimum(A, B)),
    "matmul": ((A, M[:3]), {}, A @ M[:3]),
    "addmm": ((M[0], A, M[:3]), {"beta": 0.5, "alpha": 2.0}, 0.5 * M[0] + 2.0 * (A @ M[:3])),
    "neg": ((A,), {}, -A),
    "pow": ((P,), {"exponent": 1.7}, P**1.7),
    "pow_tensor": ((P, B), {}, P**B),
    "exp": ((A,), {}, np.exp(A)),
    "log": ((P,), {}, np.log(P)),
    "sqrt": ((P,), {}, np.sqrt(P)),
    "abs": ((A,), {}, np.abs(A)),
    "sin": ((A,), {}, np.sin(A)),
    "cos": ((A,), {}, np.cos(A)),
    "tanh": ((A,), {}, np.tanh(A)),
    "sigmoid": ((A,), {}, 1 / (1 + np.exp(-A))),
    "relu": ((A,), {}, np.maximum(A, 0)),
    "clip": ((A,), {"min": -1.0, "max": 2.0}, np.clip(A, -1, 2)),
    "cast": ((A,), {"dtype": np.dtype(np.float32)}, A.astype(np.float32)),
    "eq": ((A, B), {}, A == B),
    "ne": ((A, B), {}, A != B),
    "lt": ((A, B), {}, A < B),
    "le": ((A, B), {}, A <= B),
    "gt": ((A, B), {}, A > B),
    "ge": ((A, B), {}, A >= B),
    "sum": ((A,), {"axis": 1, "keepdims": True}, A.sum(axis=1, keepdims=True)),
    "mean": ((A,), {"axis": 0, "keepdims": False}, A.mean(axis=0)),
    "max": ((A,), {"axis": (0, 1), "keepdims": False}, A.max()),
    "min": ((A,), {"axis": -1, "keepdims": True}, A.min(axis=-1, keepdims=True)),
    "var": ((A,), {"axis": 1, "keepdims": False, "correction": 0}, A.var(axis=1)),
    "std": ((A,), {"axis": 0, "keepdims": True, "correction": 1}, A.std(0, ddof=1, keepdims=True)),
    "softmax": ((A,), {"axis": 0}, np.exp(A) / np.exp(A).sum(axis=0, keepdims=True)),
    "log_softmax": ((A,), {"axis": -1}, A - np.log(np.exp(A).sum(axis=-1, keepdims=True))),
    "argmax": ((A,), {"axis": 1, "keepdims": False}, A.argmax(axis=1)),
    "argmin": ((A,), {"axis": None, "keepdims": False}, A.argmin()),
    "reshape": ((A,), {"shape": (3, 2)}, A.reshape(3, 2)),
    "permute": ((A,), {"dims": (1, 0)}, A.T),
    "expand": ((B,), {"shape": (4, 3)}, np.broadcast_to(B, (4, 3))),
    "getitem": ((A,), {"index": (slice(None), np.array([2, 0, 2]))}, A[:, [2, 0, 2]]),
    "setitem": ((A, B[:2]), {"index": (slice(None), 1)}, np.array([[1, 2, 3], [0.5, 0.5, -1]])),
    "cat": ((A, A, A), {"axis": 1}, np.concatenate([A, A, A], axis=1)),
    "stack": ((B, B), {"axis": 0}, np.stack([B, B])),
    "where": ((A > 0, A, B), {}, np.where(A > 0, A, B)),
    "copy": ((A,), {}, A.copy()),
    "floor_divide": ((A, B), {}, np.floor(A / B)),
    "remainder": ((A, B), {}, A - B * np.floor(A / B)),
    "cumsum": ((A,), {"axis": -1}, np.stack([A[:, 0], A[:, :2].sum(1), A.sum(1)], axis=1)),
    "prod": ((A,), {"axis": 0, "keepdims": True}, A[:1] * A[1:]),
    "any": ((A > 3,), {"axis": 1, "keepdims": False}, np.array([False, True])),
    "all": ((A,), {"axis": None, "keepdims": False}, np.array(True)),
    "argsort": ((A,), {"axis": 1, "descending": True}, np.array([[2, 0, 1], [1, 0, 2]])),
    "gather": ((A, np.array([[2, 2], [0, 1]])), {"axis": 1}, np.array([[3.0, 3.0], [0.5, 4.0]])),
    "repeat": ((B,), {"repeats": (2, 2)}, np.array([[2.0, 0.5, -3.0] * 2] * 2)),
    "tril": ((A,), {"diagonal": 0}, np.array([[1.0, 0.0, 0.0], [0.5, 4.0, 0.0]])),
    "triu": ((A,), {"diagonal": 1}, np.array([[0.0, -2.0, 3.0], [0.0, 0.0, -1.0]])),
}


def test_every_op_has_a_kernel_example():
    assert set(EXAMPLES) == set(OP_TABLE)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_kernel_calling_convention(name):
    """Arrays in (positional), params as keywords, an array out; inputs are left unchanged."""
    arrays, params, expected = EXAMPLES[name]
    copies = [a.copy() for a in arrays]
    out = OP_TABLE[name].kernel(*arrays, **params)
    assert isinstance(out, (np.ndarray, np.generic))
    assert np.shape(out) == np.shape(expected)
    assert np.asarray(out).dtype.kind == np.asarray(expected).dtype.kind
    assert_allclose(out, expected, rtol=1e-12)
    for before, after in zip(copies, arrays, strict=True):
        assert_array_equal(before, after)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_kernels_keep_float64(name):
    arrays, params, _ = EXAMPLES[name]
    if name == "cast":
        params = {"dtype": np.dtype(np.float64)}
    out = np.asarray(OP_TABLE[name].kernel(*arrays, **params))
    if OP_TABLE[name].differentiable or name == "floor_divide":  # floats floor to floats
        assert out.dtype == np.float64
    else:
        assert out.dtype.kind in "bi"


VIEW_OPS = {"reshape", "permute", "expand", "getitem"}


def test_view_flag_marks_the_ops_whose_output_may_share_memory():
    assert {name for name, op in OP_TABLE.items() if op.view} == VIEW_OPS


def test_copy_kernel_owns_its_memory():
    out = OP_TABLE["copy"].kernel(A)
    assert not np.shares_memory(out, A)


class _Recorder:
    def __init__(self):
        self.calls = []

    def record(self, op_name, inputs, params, output):
        self.calls.append((op_name, inputs, params, output))

    def backward(self, tensor, gradient, retain_graph):  # pragma: no cover - not called here
        raise AssertionError

    def check_inplace(self, tensor, operands):
        return True  # record every in-place op, as for tensors that require grad


@pytest.fixture
def recorder(install_layer):
    return install_layer(_Recorder())


def _exercise_tensor_api():
    """One Tensor-API call that reaches each differentiable op."""
    x = Tensor(A, dtype=np.float64)
    p = Tensor(P, dtype=np.float64)
    b = Tensor(B, dtype=np.float64)
    x + b, x - b, x * b, x / b, x.maximum(b), x.minimum(b), x @ Tensor(M[:3], dtype=np.float64)
    -x, p**1.5, p**b, x.exp(), p.log(), p.sqrt(), x.abs(), x.sin(), x.cos(), x.tanh()
    x.sigmoid(), x.relu(), x.clip(-1, 1), x.float()
    x.sum(dim=1), x.mean(), x.max(dim=0), x.min(), x.var(dim=1, correction=0), x.std()
    x.softmax(dim=0), x.log_softmax()
    x.reshape(3, 2), x.permute(1, 0), b.expand(2, 3), x[:, 1], cat([x, x], dim=1)
    stack([b, b]), where(x > 0, x, b), x.clone()
    y = x.clone()
    y[0] = b
    Tensor(M[0], dtype=np.float64).addmm(x, Tensor(M[:3], dtype=np.float64))
    x % b, x.cumsum(dim=1), x.prod(dim=0), x.gather(1, Tensor([[0, 2], [1, 1]])), b.repeat(2, 1)
    x.tril(), x.triu(diagonal=-1)


def test_tensor_api_passes_exactly_the_declared_params(recorder):
    _exercise_tensor_api()
    seen = set()
    for op_name, inputs, params, output in recorder.calls:
        op = OP_TABLE[op_name]
        assert set(params) == set(op.params), op_name
        if op.arity != VARIADIC:
            assert len(inputs) == op.arity, op_name
        assert all(isinstance(t, Tensor) for t in inputs)
        assert isinstance(output, Tensor) and isinstance(output.data, np.ndarray)
        seen.add(op_name)
    assert seen == set(ops.DIFFERENTIABLE_OPS)
