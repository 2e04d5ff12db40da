"""What tt-nn's Functions promise the engine, seen by spying on their backward: they compute
no gradient an input does not need, they never write into their incoming gradient, and the
stable ones never overflow."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from tinytorch.nn import functional as F
from tinytorch.tensor import Tensor

RNG = np.random.default_rng(0)


def spy_on_backward(monkeypatch, function, read_only=False):
    """Replace ``function.backward`` by a wrapper that records what each call returned
    (and, with ``read_only``, hands the rule a read-only incoming gradient)."""
    original, returned = function.backward, []

    def spy(ctx, grad):
        if read_only:
            grad = np.array(grad)   # a copy: the engine's own array stays writable
            grad.flags.writeable = False
        returned.append(original(ctx, grad))
        return returned[-1]

    monkeypatch.setattr(function, "backward", staticmethod(spy))
    return returned


def leaf(*shape, scale=1.0):
    return Tensor((RNG.standard_normal(shape) * scale).astype(np.float32), requires_grad=True)


@pytest.mark.parametrize("needs", [(False, True, True), (True, False, True), (True, True, False),
                                   (False, False, True)])
def test_linear_backward_computes_only_the_gradients_its_inputs_need(monkeypatch, needs):
    """The engine drops a gradient nobody needs, so ``.grad is None`` cannot tell a rule that
    skipped the work from one that wasted it: the spy sees what backward returned."""
    returned = spy_on_backward(monkeypatch, F.LinearFunction)
    x, weight, bias = (Tensor(RNG.standard_normal(shape).astype(np.float32), requires_grad=need)
                       for shape, need in zip([(4, 3), (2, 3), (2,)], needs, strict=True))
    F.linear(x, weight, bias).sum().backward()
    (grads,) = returned
    for name, need, grad in zip(["input", "weight", "bias"], needs, grads, strict=True):
        assert (grad is not None) == need, f"{name}: needs_input_grad is {need}"


def test_linear_without_bias_returns_none_for_it(monkeypatch):
    returned = spy_on_backward(monkeypatch, F.LinearFunction)
    F.linear(leaf(5, 3), leaf(2, 3)).sum().backward()
    (grads,) = returned
    assert grads[0].shape == (5, 3) and grads[1].shape == (2, 3) and grads[2] is None


def test_bce_with_logits_computes_the_target_gradient_only_when_needed(monkeypatch):
    returned = spy_on_backward(monkeypatch, F.BCEWithLogitsFunction)
    y = Tensor(RNG.uniform(0, 1, (3, 4)).astype(np.float32))
    F.binary_cross_entropy_with_logits(leaf(3, 4), y).backward()
    assert returned[-1][1] is None
    y.requires_grad = True
    F.binary_cross_entropy_with_logits(leaf(3, 4), y).backward()
    assert returned[-1][1].shape == (3, 4) and y.grad is not None


# Each Function's backward gets a read-only incoming gradient: writing into it (``grad_y *= s``)
# is a ValueError. Every case checks the gradient against the same computation on a writable
# one, so a rule that fails silently on a read-only array fails here too.
READ_ONLY_CASES = {
    "LinearFunction": (lambda x, w, b: F.linear(x, w, b), [(4, 2, 3), (5, 3), (5,)]),
    "LeakyReLUFunction": (lambda x: F.leaky_relu(x, 0.1), [(4, 5)]),
    "GELUFunction": (lambda x: F.gelu(x) + F.gelu(x, "tanh"), [(4, 5)]),
    "SiLUFunction": (F.silu, [(4, 5)]),
    "BCEWithLogitsFunction": (
        lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid(), reduction="none",
                                                        pos_weight=np.float32([1, 2, 3, 4, 5])),
        [(4, 5), (4, 5)]),
    "CrossEntropyFunction": (
        lambda z: F.cross_entropy(z, np.array([0, 2, -100, 4]), label_smoothing=0.1,
                                  weight=np.float32([1, 2, 3, 4, 5]), reduction="none"),
        [(4, 5)]),
    "NLLLossFunction": (lambda z: F.nll_loss(z, np.array([0, 2, -100, 4]), reduction="none"),
                        [(4, 5)]),
}


@pytest.mark.parametrize("name", sorted(READ_ONLY_CASES))
def test_backward_leaves_its_incoming_gradient_alone(monkeypatch, name):
    fn, shapes = READ_ONLY_CASES[name]
    inputs = [leaf(*shape) for shape in shapes]
    direction = None

    def gradients():
        nonlocal direction
        for t in inputs:
            t.grad = None
        out = fn(*inputs)
        if direction is None:
            direction = Tensor(RNG.standard_normal(out.shape).astype(np.float32))
        (out * direction).sum().backward()
        return [t.grad.data.copy() for t in inputs]

    expected = gradients()
    returned = spy_on_backward(monkeypatch, getattr(F, name), read_only=True)
    for got, want in zip(gradients(), expected, strict=True):   # ValueError "read-only" if not
        assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    assert returned, f"{name}.backward was not called"


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


def test_leaky_relu_at_zero_takes_the_negative_slope():
    x = Tensor(np.float32([0.0, -0.0, 1.0]), requires_grad=True)
    y = F.leaky_relu(x, 0.25)
    y.sum().backward()
    assert y.dtype == np.float32 and x.grad.dtype == np.float32
    assert_allclose(x.grad.numpy(), [0.25, 0.25, 1.0])


# -------------------------------------------------------------------------- no overflow

HUGE = np.float32([-1e4, -500.0, -90.0, 0.0, 90.0, 500.0, 1e4])


def test_silu_never_overflows():
    """The naive sigmoid ``1 / (1 + exp(-x))`` overflows for x below about -89 in float32."""
    x = Tensor(HUGE, requires_grad=True)
    with np.errstate(over="raise", invalid="raise"):
        y = F.silu(x)
        y.sum().backward()
    assert_allclose(y.data, [0, 0, 0, 0, 90, 500, 1e4], atol=1e-6)
    assert_allclose(x.grad.data, [0, 0, 0, 0.5, 1, 1, 1], atol=1e-6)


def test_bce_with_logits_never_overflows_forward_or_backward():
    x = Tensor(HUGE, requires_grad=True)
    y = Tensor(np.float32([1, 0, 1, 1, 0, 1, 0]), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = F.binary_cross_entropy_with_logits(x, y, reduction="none",
                                                  pos_weight=np.float32(2.0))
        loss.sum().backward()
    expected = [2e4, 0, 2 * 90, 2 * np.log(2), 90, 0, 1e4]
    assert_allclose(loss.data, expected, rtol=1e-5, atol=1e-6)
    assert np.isfinite(x.grad.data).all() and np.isfinite(y.grad.data).all()
    assert_allclose(x.grad.data, [-2, 0, -2, -1, 1, 0, 1], atol=1e-6)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_never_overflows_forward_or_backward(smoothing):
    z = Tensor(np.float32([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]]),
               requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = F.cross_entropy(z, np.array([1, 2, 0]), label_smoothing=smoothing)
        loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(z.grad.data).all()
