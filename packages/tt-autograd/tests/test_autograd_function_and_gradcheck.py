"""The Function API (custom differentiable ops) and gradcheck itself."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from tinytorch.autograd import Function, GradcheckError, gradcheck, no_grad
from tinytorch.tensor import Tensor


class Square(Function):
    """y = x * x;  dL/dx = 2 x dL/dy (the CONTRIBUTING.md example)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_out


def test_the_documented_example(leaf):
    tensor = leaf([1.0, -2.0, 3.0])
    y = Square.apply(tensor)
    assert isinstance(y, Tensor) and y.requires_grad and not y.is_leaf
    assert_allclose(y.numpy(), [1.0, 4.0, 9.0])
    y.sum().backward()
    assert_allclose(tensor.grad.numpy(), [2.0, -4.0, 6.0])
    assert gradcheck(Square.apply, leaf([[0.5, -1.5], [2.0, 0.1]]))


class ScaleShift(Function):
    """y = a * x + b with a Python-number a, two Tensor inputs, and skipped gradients."""

    calls: list[tuple[bool, ...]] = []

    @staticmethod
    def forward(ctx, x, a, b, *, square=False):
        ctx.a, ctx.square = a, square
        ctx.save_for_backward(x)
        y = a * x + b
        return y * y if square else y

    @staticmethod
    def backward(ctx, grad_y):
        (x,) = ctx.saved_tensors
        ScaleShift.calls.append(ctx.needs_input_grad)
        if ctx.square:
            grad_y = grad_y * 2 * (ctx.a * x)  # b = 0 in the squared case
        grad_x = ctx.a * grad_y if ctx.needs_input_grad[0] else None
        grad_b = grad_y.sum(axis=0) if ctx.needs_input_grad[2] else None
        return grad_x, None, grad_b


def test_function_with_non_tensor_args_and_keywords(leaf):
    x, b = leaf(np.arange(6.0).reshape(3, 2)), leaf([0.5, -0.5])
    assert gradcheck(lambda x, b: ScaleShift.apply(x, 3.0, b), x, b)
    zero = Tensor(np.zeros(2), dtype=np.float64)
    assert gradcheck(lambda x: ScaleShift.apply(x, 2.0, zero, square=True), x)


def test_needs_input_grad_lets_backward_skip_work(leaf):
    ScaleShift.calls.clear()
    x = leaf([[1.0, 2.0]])
    b = Tensor([0.0, 1.0], dtype=np.float64)
    ScaleShift.apply(x, 2.0, b).sum().backward()
    assert ScaleShift.calls == [(True, False, False)]
    assert_allclose(x.grad.numpy(), [[2.0, 2.0]])
    assert b.grad is None


class SplitSum(Function):
    """Two outputs: (x.sum(axis=1), x.max(axis=1)); the max's gradient goes to the first argmax."""

    @staticmethod
    def forward(ctx, x):
        index = x.argmax(axis=1)
        ctx.save_for_backward(x, index)
        return x.sum(axis=1), x.max(axis=1)

    @staticmethod
    def backward(ctx, grad_sum, grad_max):
        x, index = ctx.saved_tensors
        grad = np.broadcast_to(grad_sum[:, None], x.shape).copy()
        grad[np.arange(x.shape[0]), index] += grad_max
        return grad


def test_function_with_multiple_outputs(leaf):
    x = leaf([[1.0, 4.0, 2.0], [0.0, -1.0, 3.0]])
    total, largest = SplitSum.apply(x)
    assert total.grad_fn is largest.grad_fn
    assert gradcheck(SplitSum.apply, x)
    x.grad = None
    largest.sum().backward()  # the unused output's gradient arrives as zeros
    assert_allclose(x.grad.numpy(), [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])


def test_a_function_reports_itself_once_to_the_dispatchers_op_hooks(leaf):
    """Profilers see Functions through ``register_op_hook``, as they see the op table's ops."""
    from tinytorch.tensor import dispatch

    calls = []
    x, b = leaf([[1.0, 2.0]]), Tensor([0.5, 0.5], dtype=np.float64)
    with dispatch.register_op_hook(lambda *call: calls.append(call)):
        total, largest = SplitSum.apply(x)
        y = ScaleShift.apply(x, 2.0, b, square=True)
    assert [c[0] for c in calls] == ["SplitSum", "ScaleShift"]
    name, inputs, params, outputs, seconds = calls[1]
    assert inputs == (x, 2.0, b) and params == {"square": True}
    assert outputs == (y,) and calls[0][3] == (total, largest)
    assert seconds >= 0.0
    assert not dispatch.has_op_hooks()


def test_retain_grad_on_one_output_of_several(leaf):
    x = leaf([[1.0, 4.0, 2.0], [0.0, -1.0, 3.0]])
    total, largest = SplitSum.apply(x)
    largest.retain_grad()
    (total * 3 + largest * 2).sum().backward()
    assert_allclose(largest.grad.numpy(), [2.0, 2.0])
    assert total.grad is None
    assert_allclose(x.grad.numpy(), [[3.0, 5.0, 3.0], [3.0, 3.0, 5.0]])


class ValuesAndIndices(Function):
    """A float output and an integer output, like max-pooling with indices."""

    @staticmethod
    def forward(ctx, x):
        index = x.argmax()
        ctx.save_for_backward(x, index)
        return x.max(), index

    @staticmethod
    def backward(ctx, grad_value, grad_index):
        x, index = ctx.saved_tensors
        grad = np.zeros_like(x)
        grad[index] = grad_value
        return grad


def test_integer_outputs_of_a_function_do_not_block_the_float_ones(leaf):
    x = leaf([1.0, 3.0, 2.0])
    value, index = ValuesAndIndices.apply(x)
    assert value.requires_grad
    assert not index.requires_grad and index.grad_fn is None
    (value * 2).backward()
    assert_allclose(x.grad.numpy(), [0.0, 2.0, 0.0])


def test_function_records_nothing_without_grad(leaf):
    assert Square.apply(Tensor([2.0])).grad_fn is None
    with no_grad():
        assert Square.apply(leaf([2.0])).grad_fn is None
    assert Square.apply(2.0 * np.ones(2)).numpy().tolist() == [4.0, 4.0]


def test_function_returning_the_wrong_number_of_gradients_is_a_clear_error(leaf):
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    with pytest.raises(RuntimeError, match=r"TooMany.*2 gradients.*\(1\)"):
        TooMany.apply(leaf([1.0])).sum().backward()


def test_function_returning_a_wrongly_shaped_gradient_is_a_clear_error(leaf):
    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum()

    with pytest.raises(RuntimeError, match=r"WrongShape.*shape \(\).*\(3,\)"):
        WrongShape.apply(leaf([1.0, 2.0, 3.0])).sum().backward()


def test_a_wrongly_shaped_gradient_names_the_input_by_position(leaf):
    """The same tensor given twice: the message names the position whose gradient is wrong."""

    class SecondWrong(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g, g.sum()

    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=r"SecondWrong.*shape \(\) for input 1, .*\(3,\)"):
        SecondWrong.apply(x, x).sum().backward()


# ----------------------------------------------------------------------------- gradcheck itself


class WrongSquare(Square):
    """Square's forward, with a backward that claims d(x^2)/dx = x (it is 2x)."""

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return x * grad_out


def test_gradcheck_catches_a_wrong_backward_with_a_readable_report(leaf):
    constant = leaf([1.0, 1.0])
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda c, t: c * WrongSquare.apply(t), constant, x)
    report = str(info.value)
    assert "input 1" in report and "input 0" not in report
    assert "(2, 2)" in report and "4 of 4" in report
    assert "at (0, 0)" in report and "at (1, 1)" in report
    assert "backward gave" in report and "finite differences" in report


def test_gradcheck_names_only_the_wrong_elements(leaf):
    class WrongAtZero(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, g):
            grad = 3 * g
            grad[0] = 0.0
            return grad

    with pytest.raises(GradcheckError, match=r"1 of 3 .*\n  at \(0,\)"):
        gradcheck(WrongAtZero.apply, leaf([1.0, 2.0, 3.0]))


def test_gradcheck_can_return_false_instead_of_raising(leaf):
    assert gradcheck(WrongSquare.apply, leaf([1.0, 2.0]), raise_exception=False) is False
    assert gradcheck(Square.apply, leaf([1.0, 2.0]), raise_exception=False) is True


def test_gradcheck_rejects_float32_inputs_clearly():
    with pytest.raises(TypeError, match="input 0 has dtype float32.*float64"):
        gradcheck(Square.apply, Tensor([1.0, 2.0], requires_grad=True))


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input tensor requires grad"):
        gradcheck(Square.apply, Tensor([1.0], dtype=np.float64))


def test_gradcheck_restores_grad(leaf):
    x = leaf([1.0, 2.0])
    assert gradcheck(Square.apply, x)
    assert x.grad is None
    previous = Tensor([5.0, 6.0], dtype=np.float64)
    x.grad = previous
    assert gradcheck(Square.apply, x)
    assert x.grad is previous
    with pytest.raises(GradcheckError):
        gradcheck(WrongSquare.apply, x)
    assert x.grad is previous
    assert_allclose(x.numpy(), [1.0, 2.0])  # and the input's values


class FailingBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return x * x

    @staticmethod
    def backward(ctx, grad_out):
        raise ArithmeticError("a broken backward")


def test_gradcheck_restores_grad_and_values_when_fn_or_backward_raises(leaf):
    x = leaf([1.0, 2.0])
    previous = Tensor([5.0, 6.0], dtype=np.float64)
    x.grad = previous
    with pytest.raises(ArithmeticError, match="a broken backward"):
        gradcheck(FailingBackward.apply, x)
    assert x.grad is previous
    calls = []

    def fails_on_a_perturbed_input(t):
        calls.append(1)
        if len(calls) > 1:  # the first call is gradcheck's forward; later ones perturb x
            raise FloatingPointError("fn failed")
        return t * t

    with pytest.raises(FloatingPointError):
        gradcheck(fails_on_a_perturbed_input, x)
    assert x.grad is previous
    assert_allclose(x.numpy(), [1.0, 2.0], rtol=0, atol=0)  # not left at 1 + eps


def test_gradcheck_handles_views_empty_inputs_and_passthrough_args(leaf):
    base = np.arange(12.0).reshape(3, 4)
    strided = Tensor(base.T, dtype=np.float64, requires_grad=True)
    assert not strided.numpy().flags.c_contiguous
    assert gradcheck(lambda t: t * t, strided)
    assert gradcheck(lambda t: t * 2, leaf(np.zeros((0, 3))))
    assert gradcheck(lambda t, k: t * k, leaf([1.0, 2.0]), 3.0)


def test_gradcheck_checks_every_output(leaf):
    x = leaf([1.0, 2.0])
    assert gradcheck(lambda t: (t * 2, t.exp()), x)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: (t * 2, WrongSquare.apply(t)), x)


def test_per_element_flops_counts_outputs_and_wanted_gradients(leaf):
    from tinytorch.autograd import function_by_name, per_element_flops

    class Shift(Function):
        flops = per_element_flops(3, 5)

        @staticmethod
        def forward(ctx, x, y):
            return x + 1, y[:1]

        @staticmethod
        def backward(ctx, gx, gy):
            return gx, None

    assert function_by_name("Shift") is Shift and function_by_name("NoSuchFunction") is None
    x, y = leaf(np.ones((2, 3))), Tensor(np.ones(4))
    outputs = Shift.apply(x, y)
    assert Shift.flops((x, y), {}, outputs) == (3 * 7, 5 * 7)  # 6 + 1 output elements
    assert Shift.flops((x.detach(), y), {}, outputs) == (3 * 7, 0)  # no gradient wanted


def test_function_by_name_holds_classes_weakly_and_refuses_an_ambiguous_name():
    import gc

    from tinytorch.autograd import function_by_name

    def define(module="tests.here"):
        def forward(ctx, x):
            return x

        def backward(ctx, g):
            return g

        body = {"forward": staticmethod(forward), "backward": staticmethod(backward),
                "__module__": module, "__qualname__": "Twin"}
        return type("Twin", (Function,), body)

    first = define()
    second = define()  # the same qualified name again (a notebook cell run twice): it replaces
    assert function_by_name("Twin") is second
    other = define(module="elsewhere")  # a different class with the same name
    with pytest.raises(LookupError, match=r"2 Function subclasses are named 'Twin' "
                                          r"\(elsewhere\.Twin, tests\.here\.Twin\)"):
        function_by_name("Twin")
    del other
    gc.collect()
    assert function_by_name("Twin") is second
    del first, second
    gc.collect()
    assert function_by_name("Twin") is None  # the registry kept no class alive


def test_requires_grad_reads_any_argument_a_function_was_given():
    from tinytorch.autograd import requires_grad

    x = Tensor([1.0, 2.0], requires_grad=True)
    assert requires_grad(x) is True
    for value in (x.detach(), Tensor([1.0]), None, 2.0, np.ones(2), "x"):
        assert requires_grad(value) is False
