"""What tt-nn's Functions promise the engine, seen by spying on their backward: they compute
no gradient an input does not need, and they never write into their incoming gradient."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from tinytorch.nn import functional as F
from tinytorch.tensor import Tensor


def spy_on_backward(monkeypatch, function, read_only=False):
    """Replace ``function.backward`` by a wrapper that records what each call returned
    (and, with ``read_only``, hands the rule a read-only incoming gradient)."""
    original, returned = function.backward, []

    def spy(ctx, grad):
        if read_only:
            grad = grad.copy()
            grad.flags.writeable = False
        returned.append(original(ctx, grad))
        return returned[-1]

    monkeypatch.setattr(function, "backward", staticmethod(spy))
    return returned


@pytest.mark.parametrize("needs", [(False, True, True), (True, False, True), (True, True, False),
                                   (False, False, True)])
def test_linear_backward_computes_only_the_gradients_its_inputs_need(monkeypatch, needs):
    """The engine drops a gradient nobody needs, so ``.grad is None`` cannot tell a rule that
    skipped the work from one that wasted it: the spy sees what backward returned."""
    returned = spy_on_backward(monkeypatch, F.LinearFunction)
    rng = np.random.default_rng(0)
    x, weight, bias = (Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=need)
                       for shape, need in zip([(4, 3), (2, 3), (2,)], needs, strict=True))
    F.linear(x, weight, bias).sum().backward()
    (grads,) = returned
    for name, need, grad in zip(["input", "weight", "bias"], needs, grads, strict=True):
        assert (grad is not None) == need, f"{name}: needs_input_grad is {need}"


def test_leaky_relu_backward_leaves_its_incoming_gradient_alone(monkeypatch):
    spy_on_backward(monkeypatch, F.LeakyReLUFunction, read_only=True)
    x = Tensor([-2.0, 0.5, -1.0, 3.0], requires_grad=True)
    F.leaky_relu(x, 0.1).sum().backward()   # ValueError "read-only" on an in-place update
    assert_allclose(x.grad.numpy(), [0.1, 1.0, 0.1, 1.0], rtol=1e-6)


def test_leaky_relu_next_to_another_consumer_of_the_same_gradient():
    """``x*2 + leaky_relu(x)``: add hands one array to both branches."""
    x = Tensor([-2.0, 0.5, -1.0, 3.0], requires_grad=True)
    (x * 2 + F.leaky_relu(x, 0.1)).sum().backward()
    assert_allclose(x.grad.numpy(), [2.1, 3.0, 2.1, 3.0], rtol=1e-6)
