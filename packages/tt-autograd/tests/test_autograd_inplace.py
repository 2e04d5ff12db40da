"""In-place operations under autograd: PyTorch's rules, its gradients and its version checks.

An in-place op on a non-leaf is recorded and the tensor takes the new node as
its history; nodes recorded earlier keep sending their gradients to the old
history. A tensor a backward rule reads that was changed in place since
forward makes backward raise; a leaf that requires grad cannot be changed in
place outside no_grad().
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from tinytorch.autograd import Function, gradcheck, no_grad
from tinytorch.tensor import Tensor

MODIFIED = "modified by an inplace operation"


def leaf(values, dtype=np.float64):
    return Tensor(np.array(values, dtype=dtype), dtype=dtype, requires_grad=True)


# ----------------------------------------------------------------------------- PyTorch's rules


def test_a_leaf_that_requires_grad_cannot_change_in_place():
    x = leaf([1.0, 2.0])
    for change in (lambda: x.add_(1), lambda: x.__isub__(1), lambda: x.__setitem__(0, 5.0)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            change()
    assert_allclose(x.data, [1.0, 2.0])
    assert x._version == 0


def test_under_no_grad_a_leaf_is_updated_and_stays_a_leaf():
    p = leaf([1.0, 2.0])
    p.grad = Tensor(np.array([0.5, 1.0]))
    alias = p
    with no_grad():
        p -= 0.1 * p.grad
    assert p is alias and p.is_leaf and p.requires_grad
    assert_allclose(p.data, [0.95, 1.9])
    assert p._version == 1


def test_an_in_place_op_makes_a_tensor_require_grad_when_its_operand_does():
    w = leaf([1.0, 2.0, 3.0])
    x = Tensor(np.zeros(3))
    x[1] = w[0] * 2
    assert x.requires_grad and not x.is_leaf
    x.sum().backward()
    assert_allclose(w.grad.data, [2.0, 0.0, 0.0])


def test_a_value_a_rule_reads_changed_in_place_raises_at_backward():
    x = leaf([1.0, 2.0])
    h = x * 1
    y = h * h  # mul reads both inputs
    h.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED) as error:
        y.sum().backward()
    message = str(error.value)
    assert "'mul'" in message and "is at version 1; expected version 0" in message


def test_a_value_no_rule_reads_may_change():
    a = leaf([1.0, 2.0])
    b = Tensor(np.array([1.0, 2.0]))
    y = a + b  # add reads only shapes
    b.add_(1)
    y.sum().backward()
    assert_allclose(a.grad.data, [1.0, 1.0])


def test_only_the_values_a_needed_gradient_reads_are_checked():
    w = leaf([1.0, 2.0])
    c = Tensor(np.array([3.0, 4.0]))
    y = w * c  # dL/dw reads c; dL/dc (not needed) would read w
    with no_grad():
        w.add_(1)
    y.sum().backward()
    assert_allclose(w.grad.data, [3.0, 4.0])
    y2 = w * c
    c.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y2.sum().backward()


def test_a_saved_output_changed_in_place_raises():
    x = leaf([0.0, 1.0])
    y = x.exp()  # exp's rule reads its output
    y.add_(1)
    with pytest.raises(RuntimeError, match="the output of 'exp'"):
        y.sum().backward()


def test_a_function_input_saved_for_backward_is_checked():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    x = leaf([1.0, 2.0])
    h = x * 1
    y = Square.apply(h)
    with no_grad():
        h.mul_(3)
    with pytest.raises(RuntimeError, match="input 0 of 'Square'"):
        y.sum().backward()


def test_writing_data_directly_is_not_tracked():
    """As PyTorch's ``.data``: the version does not move, and backward uses the new values."""
    x = leaf([1.0, 2.0])
    h = x * 1
    y = h * h
    h.data[...] = 0
    assert h._version == 0
    y.sum().backward()
    assert_allclose(x.grad.data, [0.0, 0.0])


def test_an_in_place_op_on_a_view_while_recording_raises_a_clear_error():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    h = x * 1
    row = h[0]
    with pytest.raises(RuntimeError, match="shares its memory"):
        row.add_(1)
    with pytest.raises(RuntimeError, match="shares its memory"):
        h.mul_(2)  # h has a view (row) whose history would go stale


def test_views_share_the_version_counter():
    h = leaf([[1.0, 2.0], [3.0, 4.0]]) * 1
    y = h.sum(dim=0) * h[0]  # reads the view h[0]
    with no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


# ----------------------------------------------------------------------------- gradients


def _in_place_chain(x, w):
    y = x * 1
    y += w
    y *= w
    y -= 0.5
    y /= w * w + 1
    y.clamp_(-0.8, 0.8)
    y **= 2
    y[0] = w[1] * 3
    return y


def test_in_place_chain_passes_gradcheck():
    rng = np.random.default_rng(0)
    x = leaf(rng.standard_normal((3, 2)))
    w = leaf(rng.uniform(0.5, 1.5, (2,)))
    assert gradcheck(_in_place_chain, x, w)


def test_earlier_nodes_keep_the_history_they_recorded():
    """y = h * 2 then h += 1: y's gradient still reaches x through h's old history."""
    x = leaf([1.0, 2.0])
    h = x * 1
    y = h * 2
    h.add_(1)
    ((y + h) * 1).sum().backward()
    assert_allclose(x.grad.data, [3.0, 3.0])


def test_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    xv, wv = rng.standard_normal((3, 2)), rng.uniform(0.5, 1.5, (2,))
    x, w = leaf(xv), leaf(wv)
    _in_place_chain(x, w).sum().backward()

    tx = torch.tensor(xv, requires_grad=True)
    tw = torch.tensor(wv, requires_grad=True)
    ty = tx * 1
    ty += tw
    ty *= tw
    ty -= 0.5
    ty /= tw * tw + 1
    ty.clamp_(-0.8, 0.8)
    ty **= 2
    ty[0] = tw[1] * 3
    ty.sum().backward()
    assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-10)
    assert_allclose(w.grad.data, tw.grad.numpy(), rtol=1e-10)


def test_mul_in_place_with_an_operand_that_requires_grad_matches_pytorch():
    torch = pytest.importorskip("torch")
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    c = a * 1
    c.mul_(b)  # dL/db reads the old c, which the op then overwrites
    c.sum().backward()
    ta = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    tb = torch.tensor([3.0, 4.0], dtype=torch.float64, requires_grad=True)
    tc = ta * 1
    tc.mul_(tb)
    tc.sum().backward()
    assert_allclose(a.grad.data, ta.grad.numpy())
    assert_allclose(b.grad.data, tb.grad.numpy())


def test_copy_and_fill_route_gradients_as_pytorch():
    src = leaf([1.0, 2.0, 3.0])
    value = leaf(2.0)
    y = Tensor(np.zeros(3))
    y.copy_(src * 2)
    z = Tensor(np.zeros((2, 3)))
    z.fill_(value)
    (y.sum() + z.sum()).backward()
    assert_allclose(src.grad.data, [2.0, 2.0, 2.0])
    assert_allclose(value.grad.data, 6.0)
    h = src * 1
    h.zero_()
    (h * 5).sum().backward()
    assert_allclose(src.grad.data, [2.0, 2.0, 2.0])  # zero_ cut h off: nothing more


def test_an_input_that_needed_no_gradient_when_recorded_gets_none_later():
    class Sum(Function):  # returns a gradient for every input, needed or not
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, g

    w, w2 = leaf([1.0, 2.0]), leaf([5.0, 5.0])
    t = Tensor(np.array([3.0, 4.0]))
    y = Sum.apply(w, t)
    t.add_(w2)  # t now has a history, but y was recorded with t as a constant
    y.sum().backward()
    assert_allclose(w.grad.data, [1.0, 1.0])
    assert t.grad is None and w2.grad is None
