"""The engine: backward(), accumulation, freeing the graph, grad mode, deep and wide graphs."""

from __future__ import annotations

import gc
import sys
import weakref

import numpy as np
import pytest
from numpy.testing import assert_allclose
from tinytorch.autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tinytorch.tensor import Tensor, cat


class Plus(Function):
    """a + b for arrays of one shape, with its rule written here. The engine's tests join
    paths with it and otherwise use only the solved rules (neg, exp, sin, sum), so they pass
    as soon as the engine task is done: tt-autograd's own add needs unbroadcast, a later task.
    """

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, grad):
        return grad, grad  # the same array twice: the engine must not let leaves share it


def plus(a: Tensor, b: Tensor) -> Tensor:
    return Plus.apply(a, b)

def test_scalar_backward_fills_leaf_grads():
    w = Tensor([1.0, -2.0], requires_grad=True)
    loss = ((w * w).sum() - 1) ** 2  # the README example
    loss.backward()
    # d/dw (|w|^2 - 1)^2 = 4 (|w|^2 - 1) w = 16 w
    assert_allclose(w.grad.numpy(), [16.0, -32.0])


def test_backward_on_a_non_scalar_without_gradient_is_a_clear_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2,\).*gradient="):
        y.backward()
    assert x.grad is None


def test_backward_with_an_explicit_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(gradient=Tensor([1.0, 0.0, -1.0]))
    assert_allclose(x.grad.numpy(), [2.0, 0.0, -6.0])
    z = Tensor([1.0], requires_grad=True)
    (z * 3).backward(np.array([2.0]))
    assert_allclose(z.grad.numpy(), [6.0])


def test_explicit_gradient_of_the_wrong_shape_is_an_error():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2,\)"):
        (x * 2).backward(np.ones(3))


def test_a_one_element_non_scalar_needs_no_gradient():
    x = Tensor([[2.0]], requires_grad=True)
    (x * 3).backward()
    assert_allclose(x.grad.numpy(), [[3.0]])


def test_backward_on_a_tensor_that_does_not_require_grad_is_a_clear_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


def test_backward_on_a_leaf_sets_its_own_grad():
    x = Tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    assert_allclose(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])
    x.grad = None
    (x * 3).sum().backward()
    assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_accumulated_grad_of_a_0d_leaf_stays_an_array():
    s = Tensor(2.0, requires_grad=True)
    (s * 2).backward()
    (s * 2).backward()
    assert isinstance(s.grad.numpy(), np.ndarray)
    assert s.grad.item() == 4.0
    s.grad.zero_()  # optimizers zero and update .grad in place
    assert s.grad.item() == 0.0


def test_second_backward_through_a_freed_graph_fails_clearly():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = x.exp().sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        loss.backward()


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = x.sin().exp().sum()
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    loss.backward()
    assert_allclose(x.grad.numpy(), 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()


def test_detach_cuts_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.numpy(), y.numpy())
    (x * d).sum().backward()
    assert_allclose(x.grad.numpy(), [2.0, 4.0])  # d is a constant: no second-order path through y


def test_no_grad_context_manager():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        assert not is_grad_enabled()
        y = x * 2
    assert is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_and_enable_grad_as_decorators():
    x = Tensor([1.0], requires_grad=True)

    @no_grad()
    def evaluate(t):
        """Docstring kept."""
        return t * 2

    @enable_grad()
    def train(t):
        return t * 2

    assert not evaluate(x).requires_grad
    assert evaluate.__doc__ == "Docstring kept." and evaluate.__name__ == "evaluate"
    with no_grad():
        assert train(x).requires_grad
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_enable_grad_inside_no_grad_and_nesting_restores():
    x = Tensor([1.0], requires_grad=True)
    with no_grad():
        with enable_grad():
            assert (x * 2).requires_grad
            with no_grad():
                assert not (x * 2).requires_grad
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError), no_grad():
        raise ValueError
    assert is_grad_enabled()


def test_set_grad_enabled():
    set_grad_enabled(False)
    try:
        assert not (Tensor([1.0], requires_grad=True) * 2).requires_grad
    finally:
        set_grad_enabled(True)
    assert is_grad_enabled()


def test_long_chain_has_no_recursion_error():
    x = Tensor([1.0], dtype=np.float64, requires_grad=True)
    y = x
    steps = 10_000
    assert steps > sys.getrecursionlimit()
    for _ in range(steps):
        y = y.sin()
    y.sum().backward()
    value, expected = 1.0, 1.0  # d sin^n(x)/dx = product of cos over the chain's inputs
    for _ in range(steps):
        expected *= np.cos(value)
        value = np.sin(value)
    assert_allclose(x.grad.numpy(), [expected], rtol=1e-8)


def test_heavy_fan_out():
    x = Tensor([2.0], requires_grad=True)
    total = x
    for _ in range(9_999):
        total = plus(total, x)
    total.sum().backward()
    assert_allclose(x.grad.numpy(), [10_000.0])


def test_diamond_lattice_is_linear_not_exponential():
    """Each level uses the previous one twice: 2^50 paths, 100 nodes. Gradient is 2^50."""
    x = Tensor([1.0], dtype=np.float64, requires_grad=True)
    y = x
    for _ in range(50):
        left, right = y.neg(), y.neg()
        y = plus(left, right)  # -2y: after 50 levels (-2)^50 = 2^50
    calls = []
    node = y.grad_fn
    original = type(node).apply

    def counting_apply(self, grads):
        calls.append(self)
        return original(self, grads)

    type(node).apply = counting_apply
    try:
        y.backward()
    finally:
        type(node).apply = original
    assert x.grad.item() == 2.0**50
    assert len(calls) == 150  # every node once


def test_graph_is_freed_after_backward():
    x = Tensor(np.ones(3), requires_grad=True)
    hidden = x.sin()
    out = (hidden.exp()).sum()
    node_ref = weakref.ref(hidden.grad_fn)
    array_ref = weakref.ref(hidden.data)
    del hidden
    gc.collect()
    assert array_ref() is not None  # the graph keeps the intermediate alive until backward
    out.backward()
    gc.collect()
    assert array_ref() is None
    assert node_ref() is None


def test_graph_is_kept_with_retain_graph():
    x = Tensor(np.ones(3), requires_grad=True)
    hidden = x.sin()
    out = hidden.sum()
    array_ref = weakref.ref(hidden.data)
    del hidden
    out.backward(retain_graph=True)
    gc.collect()
    assert array_ref() is not None


def test_retain_grad_on_a_non_leaf():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    other = x * 5
    (h * h).sum().backward()
    assert_allclose(h.grad.numpy(), 2 * h.numpy())
    assert_allclose(x.grad.numpy(), 3 * 2 * h.numpy())
    assert other.grad is None  # only tensors that asked keep a gradient
    root = x * 2
    root.retain_grad()
    root.sum().backward()
    assert_allclose(root.grad.numpy(), [1.0, 1.0])


def test_leaf_grads_are_independent_arrays():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x + x).sum().backward()
    assert_allclose(x.grad.numpy(), [2.0, 2.0])
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.numpy()[0] = 100.0
    assert_allclose(b.grad.numpy(), [1.0, 1.0])
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())


def test_leaf_grad_does_not_alias_a_retained_grad_or_the_given_gradient():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([1.0, 2.0], requires_grad=True)
    y = a + b
    y.retain_grad()
    y.backward(np.ones(2, dtype=np.float32))
    a.grad.numpy()[0] = 100.0
    assert_allclose(y.grad.numpy(), [1.0, 1.0])
    assert_allclose(b.grad.numpy(), [1.0, 1.0])
    given = np.ones(2, dtype=np.float32)
    c = Tensor([1.0, 2.0], requires_grad=True)
    c.clone().backward(given)
    c.grad.numpy()[0] = 7.0
    assert_allclose(given, [1.0, 1.0])


def test_backward_on_a_leaf_keeps_a_copy_of_the_given_gradient():
    given = np.ones(2, dtype=np.float32)
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.backward(given)
    given[0] = 7.0
    assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_leaf_grads_own_writable_memory():
    x = Tensor([[1.0, 2.0]], requires_grad=True)
    x.expand(3, 2).sum().backward()  # the rule returns a broadcast (read-only) view
    assert x.grad.numpy().flags.writeable
    x.grad.numpy()[...] = 0.0


def test_grads_are_float32_for_float32_leaves():
    x = Tensor([1.0, 2.0], requires_grad=True)
    d = Tensor([2.0, 2.0], dtype=np.float64)
    (x * d).sum().backward()  # the computation runs in float64
    assert x.grad.dtype == np.float32
    ((x * d).sum() + (x * d).sum()).backward()  # accumulation keeps the dtype too
    assert x.grad.dtype == np.float32
    assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_is_leaf_and_requires_grad_flags():
    x = Tensor([1.0], requires_grad=True)
    c = Tensor([1.0])
    y = x * c
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert y.requires_grad and not (c * 2).requires_grad
    assert (c * 2).grad_fn is None
    with no_grad():
        assert (x * 2).is_leaf


def test_integer_and_boolean_results_never_get_grad_fn():
    x = Tensor([1.5, -2.0, 3.0], requires_grad=True)
    for out in (x > 0, x == x, x.argmax(), x.argmin(dim=0), x.long(), x.long() + 1):
        assert out.grad_fn is None and not out.requires_grad


def test_repr_shows_grad_fn_and_requires_grad():
    x = Tensor([1.0], requires_grad=True)
    assert repr(x) == "tensor([1.], requires_grad=True)"
    assert "grad_fn=<MulBackward>" in repr(x * 2)


def test_gradient_through_a_branch_that_gets_none():
    """A branch whose rule returns None for an input (where's condition) is skipped."""
    x = Tensor([1.0, -1.0], requires_grad=True)
    y = (x * 2).sum() + (x.detach() * 3).sum()
    y.backward()
    assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_multiple_backward_roots_share_leaves():
    x = Tensor([1.0, 2.0], requires_grad=True)
    a = (x * 2).sum()
    b = (x * x).sum()
    a.backward()
    b.backward()
    assert_allclose(x.grad.numpy(), [2.0 + 2.0, 2.0 + 4.0])


def test_a_cast_operand_still_differentiates_as_its_own_dtype():
    x = Tensor(np.array([1.0, 2.0]), dtype=np.float32, requires_grad=True)
    s = Tensor(np.array(3.0), dtype=np.float64, requires_grad=True)
    y = x * s
    assert y.dtype == np.float32
    y.sum().backward()
    assert s.grad.dtype == np.float64
    assert_allclose(s.grad.data, 3.0)


def test_a_node_waits_for_every_path_before_passing_its_gradient_on():
    """From the non-leaf h two paths of different length reach the root: h's gradient is
    complete only after the longer one, so a breadth-first walk without a topological order
    passes on a partial gradient (or passes it twice)."""
    x = Tensor([0.5, -1.0, 0.2], dtype=np.float64, requires_grad=True)
    h = plus(x, x)
    longer = h.exp().sin()
    plus(h, longer).sum().backward()
    h0 = 2 * x.numpy()
    dh = 1 + np.cos(np.exp(h0)) * np.exp(h0)
    assert_allclose(x.grad.numpy(), 2 * dh, rtol=1e-10)


def test_the_engine_never_writes_grad_on_tensors_that_need_none():
    """cat's rule may return a slice for every input; only inputs that require grad get it."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    constant = Tensor([3.0, 4.0])
    y = cat([x, constant])
    (y * y).sum().backward()
    assert constant.grad is None
    assert_allclose(x.grad.numpy(), 2 * x.numpy())


def test_retain_grad_then_an_in_place_op_keeps_the_gradient_of_the_new_value():
    """As PyTorch: after h.mul_(3), h.grad is dL/d(new h), not the gradient of the old h."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.mul_(3)
    (h * h).sum().backward()
    assert_allclose(h.grad.numpy(), [12.0, 24.0])
    assert_allclose(x.grad.numpy(), [72.0, 144.0])


def test_an_in_place_op_after_a_backward_still_retains_the_new_value():
    """The first backward indexes retaining tensors by grad_fn; h.mul_(3) gives h a new
    grad_fn, so the second backward must not use the stale index (h.grad would stay None)."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    h.sum().backward(retain_graph=True)  # the second backward goes through x * 2 again
    assert_allclose(h.grad.numpy(), [1.0, 1.0])
    h.grad = None
    h.mul_(3)
    (h * h).sum().backward()
    assert h.grad is not None, "h.grad was not kept after h.mul_(3) and a second backward"
    assert_allclose(h.grad.numpy(), [12.0, 24.0])


def test_a_retaining_tensor_once_gone_keeps_no_graph_alive():
    """The retain_grad index holds its nodes strongly: a retaining tensor's death must drop
    it, or the tensor's whole graph (inputs, saved arrays) outlives it."""
    import gc
    import weakref

    x = Tensor([1.0, 2.0], requires_grad=True)
    h = (x * 2).exp()
    h.retain_grad()
    h.sum().backward()  # builds the index, keyed by h.grad_fn
    node = weakref.ref(h.grad_fn)
    del h
    gc.collect()
    assert node() is None, "a dead retaining tensor's grad_fn is still referenced"


def test_retained_grads_accumulate_and_follow_their_tensor_only():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.retain_grad()
    other = h * 1
    loss = (h * 3).sum() + other.sum()
    loss.backward(retain_graph=True)
    assert_allclose(h.grad.numpy(), [4.0, 4.0])
    assert other.grad is None
    loss.backward()
    assert_allclose(h.grad.numpy(), [8.0, 8.0])


def test_leaves_never_share_a_gradient_array_a_rule_returned_twice():
    from tinytorch.autograd import Function

    class DoubleSum(Function):
        @staticmethod
        def forward(ctx, a, b):
            return 2 * (a + b)

        @staticmethod
        def backward(ctx, grad):
            doubled = 2 * grad  # one new array, returned for both inputs
            return doubled, doubled

    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    DoubleSum.apply(a, b).sum().backward()
    a.grad.numpy()[0] = 100.0
    assert_allclose(b.grad.numpy(), [2.0, 2.0])
    a.grad.numpy()[...] = 0.0  # .grad stays writable for optimizers
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())


def test_a_node_looks_up_only_its_own_retained_outputs(monkeypatch):
    """retain_grad() bookkeeping costs a lookup per node, not a pass over every retaining
    tensor at every node (the registry is read once per backward here, not 60 times)."""
    from tinytorch.autograd import engine

    class CountingDict(dict):
        passes = 0

        def values(self):
            CountingDict.passes += 1
            return super().values()

    monkeypatch.setattr(engine, "_retaining_grad", CountingDict())
    monkeypatch.setattr(engine, "_retained_by_node", None)
    x = Tensor([1.0, 2.0], requires_grad=True)
    h, kept = x, []
    for step in range(60):
        h = h + x
        if step % 6 == 0:
            h.retain_grad()
            kept.append(h)
    h.sum().backward()
    assert CountingDict.passes <= 1
    for tensor in kept:
        assert_allclose(tensor.grad.numpy(), [1.0, 1.0])
    assert_allclose(x.grad.numpy(), [61.0, 61.0])


def test_later_gradients_are_summed_into_the_grad_array_the_engine_made():
    """As PyTorch's .grad: a leaf used twice, or a second backward, adds into .grad's
    own array instead of allocating a new one each time."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x + x).sum().backward()  # two gradients for one leaf in one backward
    first = x.grad.data
    assert_allclose(first, [2.0, 2.0])
    (x + x).sum().backward()
    assert x.grad.data is first
    assert_allclose(x.grad.numpy(), [4.0, 4.0])
    scalar = Tensor(3.0, requires_grad=True)
    (scalar + scalar).backward()
    (scalar + scalar).backward()
    assert isinstance(scalar.grad.data, np.ndarray) and scalar.grad.data.shape == ()
    assert_allclose(scalar.grad.numpy(), 4.0)


def test_an_array_a_user_or_a_rule_still_holds_is_never_summed_into():
    mine = np.zeros(2, dtype=np.float32)
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.grad = Tensor(mine)  # shares the user's array
    x.exp().sum().backward()
    assert_allclose(mine, [0.0, 0.0])
    assert_allclose(x.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)

    kept = np.full(2, 3.0, dtype=np.float32)

    class ConstantSlope(Function):  # its backward hands out an array it keeps using
        @staticmethod
        def forward(ctx, a):
            return a.copy()

        @staticmethod
        def backward(ctx, g):
            return kept

    w = Tensor([1.0, 2.0], requires_grad=True)
    ConstantSlope.apply(w).sum().backward()
    (w + w).sum().backward()  # a second gradient for w, through another graph
    ConstantSlope.apply(w).sum().backward()
    assert_allclose(kept, [3.0, 3.0])
    assert_allclose(w.grad.numpy(), [8.0, 8.0])


def test_a_rule_returning_a_python_number_is_a_clear_error():
    class Halve(Function):
        @staticmethod
        def forward(ctx, a):
            return a * 0.5

        @staticmethod
        def backward(ctx, g):
            return 0.5

    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"backward of 'Halve' returned a float \(0\.5\) as the "
                                        r"gradient of input 0; expected a NumPy array of its "
                                        r"shape \(2,\)"):
        Halve.apply(x).sum().backward()
