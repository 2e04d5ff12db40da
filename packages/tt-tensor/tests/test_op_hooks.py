"""The dispatcher's op hook: ``register_op_hook``, its handle, and what a hook sees."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch.tensor import ShapeError, Tensor, dispatch


class Calls:
    """A hook that keeps every call it gets."""

    def __init__(self):
        self.calls = []

    def __call__(self, op_name, inputs, params, outputs, seconds):
        self.calls.append((op_name, inputs, params, outputs, seconds))

    @property
    def names(self):
        return [call[0] for call in self.calls]


@pytest.fixture
def hook():
    calls = Calls()
    handle = dispatch.register_op_hook(calls)
    yield calls
    handle.remove()
    assert not dispatch.has_op_hooks()


def test_a_hook_is_called_once_per_op_with_what_ran(hook):
    a = Tensor([[1.0, 2.0]])
    b = Tensor([[3.0], [4.0]])
    out = (a @ b).sum(dim=1, keepdim=True)
    assert hook.names == ["matmul", "sum"]
    op_name, inputs, params, outputs, seconds = hook.calls[1]
    assert params == {"axis": 1, "keepdims": True}
    assert outputs == (out,) and outputs[0] is out
    assert inputs[0].shape == (1, 1) and isinstance(inputs[0], Tensor)
    assert isinstance(seconds, float) and seconds >= 0.0
    assert hook.calls[0][1] == (a, b)


def test_hooked_ops_give_the_same_results():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    plain = (x * 2 - 1).exp().sum(dim=0).numpy()
    with dispatch.register_op_hook(Calls()):
        hooked = (x * 2 - 1).exp().sum(dim=0).numpy()
    np.testing.assert_array_equal(plain, hooked)


def test_remove_stops_the_calls_and_may_be_repeated():
    calls = Calls()
    handle = dispatch.register_op_hook(calls)
    try:
        assert dispatch.has_op_hooks()
        Tensor([1.0]) + 1
    finally:  # a failing op must not leave the hook behind for the next tests
        handle.remove()
    handle.remove()
    Tensor([1.0]) + 1
    assert calls.names == ["add"]
    assert not dispatch.has_op_hooks()


def test_the_handle_as_a_context_manager_removes_the_hook_even_on_error():
    calls = Calls()
    with pytest.raises(RuntimeError, match="inside"):
        with dispatch.register_op_hook(calls):
            -Tensor([1.0])
            raise RuntimeError("inside")
    -Tensor([1.0])
    assert calls.names == ["neg"]
    assert not dispatch.has_op_hooks()


def test_nested_hooks_each_see_their_own_block_in_registration_order():
    order = []
    outer, inner = Calls(), Calls()
    with dispatch.register_op_hook(outer), dispatch.register_op_hook(lambda *a: order.append("b")):
        Tensor([1.0]) * 2
        with dispatch.register_op_hook(inner), dispatch.register_op_hook(
            lambda *a: order.append("c")
        ):
            Tensor([1.0]) - 2
        Tensor([1.0]) / 2
    assert outer.names == ["mul", "sub", "div"]
    assert inner.names == ["sub"]
    assert order == ["b", "b", "c", "b"]


def test_the_same_function_registered_twice_is_called_twice_and_removed_once():
    calls = Calls()
    first = dispatch.register_op_hook(calls)
    try:
        with dispatch.register_op_hook(calls):
            Tensor([1.0]).exp()
        Tensor([1.0]).log()
    finally:
        first.remove()
    assert calls.names == ["exp", "exp", "log"]


def test_ops_run_by_a_hook_reach_no_hook():
    calls = Calls()

    def uses_tensors(op_name, inputs, params, outputs, seconds):
        calls(op_name, inputs, params, outputs, seconds)
        (outputs[0] * 0).sum()  # two more ops, inside the hook

    with dispatch.register_op_hook(uses_tensors):
        Tensor([1.0, 2.0]).exp()
        Tensor([1.0]).neg()
    assert calls.names == ["exp", "neg"]


def test_an_op_that_raises_reaches_no_hook_and_hooks_keep_working(hook):
    with pytest.raises(ShapeError):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3)))
    assert hook.names == []
    Tensor([1.0]) + 1
    assert hook.names == ["add"]


def test_an_exception_in_a_hook_reaches_the_caller_and_leaves_the_dispatcher_sound():
    def broken(*call):
        raise ValueError("hook failed")

    handle = dispatch.register_op_hook(broken)
    try:
        with pytest.raises(ValueError, match="hook failed"):
            Tensor([1.0]) + 1
    finally:
        handle.remove()
    calls = Calls()
    with dispatch.register_op_hook(calls):
        Tensor([1.0]) + 1  # the failed call left no "inside a hook" state behind
    assert calls.names == ["add"]


def test_call_op_hooks_reports_an_op_from_outside_the_op_table(hook):
    out = Tensor([2.0])
    dispatch.call_op_hooks("MyFunction", (Tensor([1.0]),), {"scale": 2}, (out,), 0.5)
    assert hook.calls == [("MyFunction", hook.calls[0][1], {"scale": 2}, (out,), 0.5)]


def test_a_hook_may_remove_itself_while_it_runs():
    calls = Calls()

    def once(*call):
        calls(*call)
        handle.remove()

    handle = dispatch.register_op_hook(once)
    try:
        Tensor([1.0]) + 1
        Tensor([1.0]) + 1
    finally:
        handle.remove()
    assert calls.names == ["add"]
