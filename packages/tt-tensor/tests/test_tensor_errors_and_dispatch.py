"""Clear errors, the dispatcher's road, and life without tt-autograd."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch.tensor import DTypeError, ShapeError, Tensor, dispatch, ops


def test_matmul_dtype_mismatch_names_both_dtypes():
    with pytest.raises(DTypeError) as info:
        Tensor([[1.0]]) @ Tensor([[1.0]], dtype=np.float64)
    message = str(info.value)
    assert "matmul" in message and "float32" in message and "float64" in message


@pytest.mark.parametrize(
    "call, op",
    [
        (lambda t: t.sum(dim=3), "sum"),
        (lambda t: t.mean(dim=3), "mean"),
        (lambda t: t.max(dim=(0, 3)), "max"),
        (lambda t: t.var(dim=3), "var"),
        (lambda t: t.argmax(dim=3), "argmax"),
        (lambda t: t.sum(dim=-3), "sum"),
    ],
)
def test_a_dim_out_of_range_names_the_op_and_the_range(call, op):
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(IndexError, match=rf"{op}: dim -?3 is out of range: expected a dim "
                       r"from -2 to 1") as info:
        call(t)
    assert "getitem" not in str(info.value)


def test_an_axis_out_of_range_in_a_kernel_names_the_op_and_the_shape():
    with pytest.raises(IndexError, match=r"softmax: axis .*3.* out of range for shape \(2, 2\)"):
        Tensor([[1.0, 2.0], [3.0, 4.0]]).softmax(dim=3)


def test_shape_and_dtype_errors_are_value_and_type_errors():
    assert issubclass(ShapeError, ValueError)
    assert issubclass(DTypeError, TypeError)


def test_unsupported_dtype_in_a_kernel_names_the_op_and_dtypes():
    with pytest.raises(DTypeError, match="sub.*bool"):
        Tensor([True]) - Tensor([False])


def test_requires_grad_on_integer_tensors_is_an_error():
    with pytest.raises(DTypeError, match="floating point.*int64"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(DTypeError, match="bool"):
        Tensor([True]).requires_grad_()
    labels = Tensor([1, 2])
    assert labels.requires_grad_(False) is labels
    assert not labels.requires_grad


def test_a_fresh_tensor_has_empty_autograd_slots():
    t = Tensor([1.0])
    assert t.requires_grad is False
    assert t.grad is None and t.grad_fn is None
    assert t.is_leaf


def test_backward_without_tt_autograd_names_it(no_autograd):
    x = Tensor([1.0, 2.0], requires_grad=True)  # allowed: tt-tensor only stores the flag
    assert x.requires_grad
    y = (x * 2).sum()
    assert y.grad_fn is None  # nothing records a graph without the layer
    with pytest.raises(RuntimeError, match="tt-autograd") as info:
        y.backward()
    assert "backward()" in str(info.value)
    assert "pip install" in str(info.value)
    with pytest.raises(RuntimeError, match="tt-autograd"):
        dispatch.require_autograd_layer("backward()")


def test_no_autograd_fixture_restores_the_dispatcher(no_autograd):
    assert dispatch.autograd_layer() is None


class RecordingLayer:
    """A stand-in autograd layer: what the dispatcher hands over, and when."""

    def __init__(self):
        self.calls = []

    def record(self, op_name, inputs, params, output):
        self.calls.append((op_name, inputs, params, output))

    def backward(self, tensor, gradient, retain_graph):
        self.calls.append(("backward", tensor, gradient, retain_graph))


@pytest.fixture
def layer(install_layer):
    return install_layer(RecordingLayer())


def test_every_tensor_operation_goes_through_the_dispatcher(layer):
    a = Tensor([[1.0, 2.0]])
    b = Tensor([[3.0], [4.0]])
    out = (a @ b).sum(dim=1, keepdim=True)
    names = [call[0] for call in layer.calls]
    assert names == ["matmul", "sum"]
    op_name, inputs, params, output = layer.calls[1]
    assert params == {"axis": 1, "keepdims": True}
    assert output is out
    assert inputs[0].shape == (1, 1)


def test_the_layer_sees_tensors_params_and_output(layer):
    x = Tensor(np.arange(6.0).reshape(2, 3))
    y = x.reshape(3, 2)
    op_name, inputs, params, output = layer.calls[-1]
    assert op_name == "reshape"
    assert inputs == (x,) and isinstance(inputs[0], Tensor)
    assert params == {"shape": (3, 2)}
    assert output is y


def test_non_differentiable_ops_are_not_handed_to_the_layer(layer):
    x = Tensor([1.0, 3.0, 2.0])
    assert (x > 1).dtype == np.bool_
    assert (x == x).all()
    x.argmax()
    x.argmin(dim=0)
    assert layer.calls == []


def test_backward_is_handed_to_the_layer(layer):
    y = Tensor([2.0])
    y.backward(gradient=np.ones(1), retain_graph=True)
    assert layer.calls[-1][0] == "backward"
    assert layer.calls[-1][1] is y and layer.calls[-1][3] is True


def test_apply_runs_a_kernel_by_name():
    out = dispatch.apply("mul", Tensor([2.0]), Tensor([3.0]))
    assert isinstance(out, Tensor)
    assert out.item() == 6.0
    assert dispatch.apply("pow", Tensor([3.0]), exponent=2).item() == 9.0


def test_apply_wraps_numpy_scalars_into_0d_tensors():
    out = dispatch.apply("add", Tensor(1.0), Tensor(2.0))
    assert isinstance(out.numpy(), np.ndarray)
    assert out.shape == ()


def test_op_table_entries_are_used_by_apply(monkeypatch):
    """The dispatcher looks ops up in OP_TABLE: replacing an entry changes what runs."""
    original = ops.OP_TABLE["neg"]
    monkeypatch.setitem(
        ops.OP_TABLE, "neg", ops.OpDef("neg", lambda x: x * 10, original.arity, original.params)
    )
    assert (-Tensor([1.0])).item() == 10.0
