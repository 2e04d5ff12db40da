"""The contract with tt-tensor: one rule per differentiable op, rules that use only the
OpContext, and an autograd layer installed on import that records through dispatch.apply."""

from __future__ import annotations

import numpy as np
import pytest
import tinytorch.autograd as autograd
from numpy.testing import assert_allclose
from tinytorch.autograd import MISSING_RULES, RULES, AutogradLayer, OpContext
from tinytorch.tensor import Tensor, dispatch
from tinytorch.tensor.ops import DIFFERENTIABLE_OPS, OP_TABLE, VARIADIC


def test_every_differentiable_op_has_a_rule():
    assert MISSING_RULES == frozenset()
    assert DIFFERENTIABLE_OPS <= RULES.keys()


def test_no_rules_for_ops_that_are_not_differentiable_or_unknown():
    assert RULES.keys() <= DIFFERENTIABLE_OPS
    for name, op in OP_TABLE.items():
        assert (name in RULES) == op.differentiable


def test_importing_autograd_installs_its_layer():
    assert isinstance(dispatch.autograd_layer(), AutogradLayer)
    assert dispatch._layer is dispatch.autograd_layer()


def test_graph_is_recorded_through_dispatch_apply():
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = dispatch.apply("mul", x, Tensor([3.0, 4.0]))
    assert out.requires_grad and out.grad_fn.name == "mul"
    out2 = dispatch.apply("sum", out, axis=None, keepdims=False)
    assert out2.grad_fn.name == "sum"
    out2.backward()
    assert_allclose(x.grad.numpy(), [3.0, 4.0])


def test_nothing_is_recorded_without_the_layer():
    saved = dispatch._layer
    dispatch.install_autograd_layer(None)
    try:
        y = Tensor([1.0], requires_grad=True) * 2
    finally:
        dispatch.install_autograd_layer(saved)
    assert y.grad_fn is None


class _StrictContext:
    """An OpContext that fails on any attribute beyond the contract's four."""

    __slots__ = ("inputs", "params", "output", "needs_input_grad")


def _context(cls, name, arrays, params, needs):
    """A context built by hand, as a student's tt-tensor would feed it, and the output."""
    output = np.asarray(OP_TABLE[name].kernel(*arrays, **params))
    ctx = cls.__new__(cls)
    ctx.inputs, ctx.params, ctx.output, ctx.needs_input_grad = tuple(arrays), params, output, needs
    return ctx, output


_R = np.random.default_rng(3)
A = _R.standard_normal((2, 3))
B = _R.standard_normal((3,))
P = _R.uniform(0.5, 2.0, (2, 3))
EXAMPLES = {
    "add": ((A, B), {}),
    "sub": ((A, B), {}),
    "mul": ((A, B), {}),
    "div": ((A, P), {}),
    "maximum": ((A, B), {}),
    "minimum": ((A, B), {}),
    "matmul": ((A, _R.standard_normal((3, 4))), {}),
    "addmm": ((B, A.T, A), {"beta": 0.5, "alpha": 2.0}),
    "neg": ((A,), {}),
    "pow": ((P,), {"exponent": 1.7}),
    "pow_tensor": ((P, B), {}),
    "exp": ((A,), {}),
    "log": ((P,), {}),
    "sqrt": ((P,), {}),
    "abs": ((A,), {}),
    "sin": ((A,), {}),
    "cos": ((A,), {}),
    "tanh": ((A,), {}),
    "sigmoid": ((A,), {}),
    "relu": ((A,), {}),
    "clip": ((A,), {"min": -0.5, "max": 0.5}),
    "cast": ((A,), {"dtype": np.dtype(np.float32)}),
    "copy": ((A,), {}),
    "sum": ((A,), {"axis": 1, "keepdims": False}),
    "mean": ((A,), {"axis": None, "keepdims": False}),
    "max": ((A,), {"axis": 0, "keepdims": True}),
    "min": ((A,), {"axis": (0, 1), "keepdims": False}),
    "var": ((A,), {"axis": 1, "keepdims": False, "correction": 1}),
    "std": ((A,), {"axis": 0, "keepdims": True, "correction": 1}),
    "softmax": ((A,), {"axis": -1}),
    "log_softmax": ((A,), {"axis": 0}),
    "reshape": ((A,), {"shape": (3, 2)}),
    "permute": ((A,), {"dims": (1, 0)}),
    "expand": ((B,), {"shape": (2, 3)}),
    "getitem": ((A,), {"index": (slice(None), np.array([0, 0, 2]))}),
    "setitem": ((A, B[1:]), {"index": (slice(None), np.array([0, 2]))}),
    "cat": ((A, A[:1]), {"axis": 0}),
    "stack": ((B, B, B), {"axis": 1}),
    "where": ((A > 0, A, B), {}),
    "remainder": ((A, P), {}),
    "cumsum": ((A,), {"axis": -1}),
    "prod": ((A,), {"axis": None, "keepdims": False}),
    "gather": ((A, np.array([[2, 2, 0], [1, 0, 1]])), {"axis": 1}),
    "repeat": ((B,), {"repeats": (2, 1, 2)}),
    "tril": ((A,), {"diagonal": -1}),
    "triu": ((A,), {"diagonal": 1}),
}


def test_every_rule_has_a_hand_built_example():
    assert set(EXAMPLES) == set(RULES)


@pytest.mark.parametrize("name", sorted(RULES))
def test_rules_use_only_the_contract(name):
    """Run each rule on a hand-built context with only inputs/params/output/needs_input_grad."""
    arrays, params = EXAMPLES[name]
    needs = tuple(a.dtype.kind == "f" for a in arrays)
    ctx, output = _context(_StrictContext, name, arrays, params, needs)
    g = np.ones_like(output, dtype=np.float64)
    grads = RULES[name](ctx, g)
    assert isinstance(grads, (tuple, list))
    assert len(grads) == len(arrays)
    for array, need, grad in zip(arrays, needs, grads, strict=True):
        if need:
            assert np.shape(grad) == array.shape, name
        elif grad is not None:
            assert np.shape(grad) == array.shape


@pytest.mark.parametrize("name", sorted(n for n in RULES if OP_TABLE[n].arity != 1))
def test_rules_skip_inputs_that_need_no_gradient(name):
    arrays, params = EXAMPLES[name]
    needs = tuple(False for _ in arrays)
    needs = (True, *needs[1:]) if arrays[0].dtype.kind == "f" else (False, True, *needs[2:])
    ctx, output = _context(OpContext, name, arrays, params, needs)
    grads = RULES[name](ctx, np.ones_like(output, dtype=np.float64))
    if OP_TABLE[name].arity == VARIADIC:
        return  # cat/stack slices are free; returning them is allowed
    for need, grad in zip(needs, grads, strict=True):
        if not need:
            assert grad is None, name


def test_rules_do_not_modify_the_saved_arrays():
    for name, (arrays, params) in EXAMPLES.items():
        copies = [a.copy() for a in arrays]
        ctx, output = _context(
            OpContext, name, arrays, params, tuple(a.dtype.kind == "f" for a in arrays)
        )
        saved_output = output.copy()
        RULES[name](ctx, np.ones_like(output, dtype=np.float64))
        for before, after in zip(copies, arrays, strict=True):
            np.testing.assert_array_equal(before, after, err_msg=name)
        np.testing.assert_array_equal(saved_output, ctx.output, err_msg=name)


def test_record_builds_the_context_from_the_dispatch_call():
    x = Tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    c = Tensor([1.0, 0.0, 1.0])
    y = x.sum(dim=1, keepdim=True) * c
    node = y.grad_fn
    ctx = node.ctx
    assert isinstance(ctx, OpContext)
    assert ctx.needs_input_grad == (True, False)
    assert ctx.params == {}
    assert ctx.output is y.data
    assert ctx.inputs[1] is c.data
    parent = node.parents()[0]
    assert parent.name == "sum"
    assert parent.ctx.params == {"axis": 1, "keepdims": True}


def test_public_api():
    for name in (
        "backward",
        "no_grad",
        "enable_grad",
        "is_grad_enabled",
        "set_grad_enabled",
        "Function",
        "gradcheck",
        "GradcheckError",
        "MISSING_RULES",
        "__version__",
    ):
        assert hasattr(autograd, name), name


def _needs_variants(arrays):
    """All inputs needing a gradient, then each float input alone."""
    floats = [a.dtype.kind == "f" for a in arrays]
    yield tuple(floats)
    for i, is_float in enumerate(floats):
        if is_float:
            yield tuple(j == i for j in range(len(arrays)))


def _garbage(array):
    """An array of the same shape and dtype whose values no correct rule can use."""
    return np.full(array.shape, np.nan) if array.dtype.kind == "f" else ~array


@pytest.mark.parametrize("name", sorted(RULES))
def test_saves_declares_every_value_a_rule_reads(name):
    """Values a rule does not declare with @saves are replaced by NaN: its gradients must not
    change (else the engine would not notice when they are modified in place)."""
    from tinytorch.autograd.rules import OUTPUT

    arrays, params = EXAMPLES[name]
    for needs in _needs_variants(arrays):
        ctx, output = _context(OpContext, name, arrays, params, needs)
        g = np.ones_like(output, dtype=np.float64)
        expected = RULES[name](ctx, g)
        reads = getattr(RULES[name], "saves", [()] * len(arrays))
        declared = {p for need, positions in zip(needs, reads, strict=True) if need
                    for p in positions}
        hidden = [_garbage(a) if i not in declared else a for i, a in enumerate(arrays)]
        ctx, _ = _context(OpContext, name, arrays, params, needs)
        ctx.inputs = tuple(hidden)
        if OUTPUT not in declared:
            ctx.output = _garbage(output)
        got = RULES[name](ctx, g)
        for want, have in zip(expected, got, strict=True):
            if want is not None:
                assert_allclose(have, want, err_msg=f"{name} with needs {needs}")


@pytest.mark.parametrize("name", sorted(RULES))
def test_rules_never_write_into_their_incoming_gradient(name):
    """The engine hands one gradient array to several consumers (``x*2 + x.relu()``): a rule
    that updates it in place corrupts the others' gradients, so it arrives read-only here."""
    arrays, params = EXAMPLES[name]
    ctx, output = _context(
        OpContext, name, arrays, params, tuple(a.dtype.kind == "f" for a in arrays)
    )
    g = _R.standard_normal(output.shape)
    g.flags.writeable = False
    before = g.copy()
    RULES[name](ctx, g)   # ValueError "assignment destination is read-only" on a write
    np.testing.assert_array_equal(g, before, err_msg=name)


def test_unbroadcast_sums_prepended_and_stretched_dims_and_keeps_g_when_nothing_was():
    from tinytorch.autograd import unbroadcast

    g = np.arange(24.0).reshape(2, 3, 4)
    g.flags.writeable = False  # it must not write into g
    assert unbroadcast(g, (2, 3, 4)) is g  # nothing was broadcast: g itself, no copy
    cases = {(4,): g.sum(axis=(0, 1)), (3, 1): g.sum(axis=(0, 2))[:, None],
             (1, 1, 4): g.sum(axis=(0, 1), keepdims=True), (2, 1, 4): g.sum(axis=1, keepdims=True),
             (): g.sum(), (1,): g.sum(axis=(0, 1, 2))[None]}
    for shape, want in cases.items():
        got = unbroadcast(g, shape)
        assert np.shape(got) == shape, shape
        assert_allclose(got, want, err_msg=str(shape))
