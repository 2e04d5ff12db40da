"""Optimizer update rules against closed-form expectations (no PyTorch needed)."""

import math

import numpy as np
import pytest
from tinytorch.optim import SGD, Adagrad, Adam, AdamW, RMSprop
from tinytorch.tensor import Tensor


def parameter(values):
    return Tensor(np.asarray(values, dtype=np.float32), requires_grad=True)


def set_grad(param, values):
    param.grad = Tensor(np.asarray(values, dtype=np.float32))


def quadratic_steps(optimizer, param, curvature, steps):
    """Minimise f(x) = curvature/2 * x^2, whose gradient is curvature * x."""
    for _ in range(steps):
        set_grad(param, curvature * param.data)
        optimizer.step()


def test_sgd_on_a_quadratic_contracts_by_one_minus_lr_times_curvature():
    x = parameter([4.0, -2.0])
    quadratic_steps(SGD([x], lr=0.1), x, curvature=2.0, steps=10)
    np.testing.assert_allclose(x.data, np.array([4.0, -2.0]) * 0.8**10, rtol=1e-5)


def test_sgd_momentum_follows_the_heavy_ball_recursion():
    lr, mu, a = 0.05, 0.9, 1.5
    x = parameter([1.0])
    quadratic_steps(SGD([x], lr=lr, momentum=mu), x, curvature=a, steps=20)
    expected, buffer = 1.0, None
    for _ in range(20):
        g = a * expected
        buffer = g if buffer is None else mu * buffer + g
        expected -= lr * buffer
    np.testing.assert_allclose(x.data, [expected], rtol=1e-5)


def test_sgd_nesterov_and_dampening_and_weight_decay_by_hand():
    lr, mu, wd = 0.1, 0.5, 0.01
    x = parameter([2.0])
    optimizer = SGD([x], lr=lr, momentum=mu, weight_decay=wd, nesterov=True)
    expected, buffer = 2.0, None
    for g_value in (1.0, -3.0, 0.5):
        set_grad(x, [g_value])
        optimizer.step()
        g = g_value + wd * expected
        buffer = g if buffer is None else mu * buffer + g
        expected -= lr * (g + mu * buffer)
    np.testing.assert_allclose(x.data, [expected], rtol=1e-6)

    y = parameter([0.0])
    damped = SGD([y], lr=1.0, momentum=0.5, dampening=0.5)
    for _ in range(2):
        set_grad(y, [1.0])
        damped.step()
    # buffer: 1 (first step undamped), then 0.5 * 1 + 0.5 * 1 = 1
    np.testing.assert_allclose(y.data, [-2.0])


@pytest.mark.parametrize("optimizer_class", [Adam, AdamW])
def test_first_adam_step_moves_each_coordinate_by_lr_times_sign_of_gradient(optimizer_class):
    x = parameter([1.0, 1.0, 1.0])
    set_grad(x, [3.0, -0.2, 1e-3])
    optimizer_class([x], lr=0.01, weight_decay=0.0).step()
    np.testing.assert_allclose(x.data - 1.0, [-0.01, 0.01, -0.01], rtol=1e-4)


def test_adam_two_steps_by_hand():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-8
    x = parameter([0.0])
    optimizer = Adam([x], lr=lr, betas=(b1, b2), eps=eps)
    m = v = expected = 0.0
    for t, g in enumerate((1.0, -2.0), start=1):
        set_grad(x, [g])
        optimizer.step()
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        expected -= lr / (1 - b1**t) * m / (math.sqrt(v) / math.sqrt(1 - b2**t) + eps)
    np.testing.assert_allclose(x.data, [expected], rtol=1e-5)


def test_amsgrad_keeps_the_largest_second_moment():
    x = parameter([0.0])
    optimizer = Adam([x], lr=0.1, amsgrad=True)
    for g in (10.0, 0.1):
        set_grad(x, [g])
        optimizer.step()
    state = optimizer.state_dict()["state"][0]
    assert state["max_exp_avg_sq"][0] > state["exp_avg_sq"][0]


def test_adamw_decay_is_decoupled_from_the_gradient():
    x = parameter([2.0])
    set_grad(x, [0.0])
    AdamW([x], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(x.data, [2.0 * (1 - 0.1 * 0.5)])
    y = parameter([2.0])
    set_grad(y, [0.0])
    Adam([y], lr=0.1, weight_decay=0.5).step()  # L2: decay enters the gradient, then lr*sign
    np.testing.assert_allclose(y.data, [2.0 - 0.1], rtol=1e-5)


def test_rmsprop_first_step_is_lr_over_sqrt_one_minus_alpha():
    x = parameter([1.0, 1.0])
    set_grad(x, [4.0, -4.0])
    RMSprop([x], lr=0.01, alpha=0.99).step()
    np.testing.assert_allclose(x.data - 1.0, [-0.1, 0.1], rtol=1e-5)


def test_adagrad_with_lr_decay_by_hand():
    lr, decay = 0.5, 0.1
    x = parameter([0.0])
    optimizer = Adagrad([x], lr=lr, lr_decay=decay, initial_accumulator_value=1.0)
    total, expected = 1.0, 0.0
    for t, g in enumerate((2.0, 1.0, -1.0), start=1):
        set_grad(x, [g])
        optimizer.step()
        total += g * g
        expected -= lr / (1 + (t - 1) * decay) * g / (math.sqrt(total) + 1e-10)
    np.testing.assert_allclose(x.data, [expected], rtol=1e-5)


SGD_ON_ITS_GRADIENTS = {
    "SGD momentum + decay": lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1),
    "SGD nesterov": lambda p: SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    "SGD decay": lambda p: SGD(p, lr=0.1, weight_decay=0.1),
}
OPTIMIZERS_ON_THEIR_GRADIENTS = {
    "Adam + decay": lambda p: Adam(p, lr=0.1, weight_decay=0.1),
    "Adam amsgrad": lambda p: Adam(p, lr=0.1, amsgrad=True),
    "AdamW": lambda p: AdamW(p, lr=0.1, weight_decay=0.5),
}


def steps_leave_the_gradient_alone(make_optimizer):
    """``grad`` is the parameter's own ``.grad`` array: ``grad += wd * param``, or a momentum
    buffer that is the gradient's array itself, would change what backward computed."""
    x = parameter([1.0, -2.0, 3.0])
    optimizer = make_optimizer([x])
    for values in ([0.5, -1.0, 2.0], [0.25, 1.0, -1.0], [1.0, 1.0, 1.0]):
        set_grad(x, values)
        grad = x.grad.data
        optimizer.step()
        np.testing.assert_array_equal(grad, np.float32(values))
        assert x.grad.data is grad


@pytest.mark.parametrize("name", list(SGD_ON_ITS_GRADIENTS))
def test_an_sgd_step_never_writes_into_the_gradient(name):
    steps_leave_the_gradient_alone(SGD_ON_ITS_GRADIENTS[name])


@pytest.mark.parametrize("name", list(OPTIMIZERS_ON_THEIR_GRADIENTS))
def test_an_adam_step_never_writes_into_the_gradient(name):
    steps_leave_the_gradient_alone(OPTIMIZERS_ON_THEIR_GRADIENTS[name])


def test_the_momentum_buffer_is_the_optimizers_own_array():
    x = parameter([1.0, 2.0])
    optimizer = SGD([x], lr=0.1, momentum=0.9)
    set_grad(x, [1.0, 1.0])
    optimizer.step()
    buffer = optimizer.state[id(x)]["momentum_buffer"]
    assert buffer is not x.grad.data and not np.shares_memory(buffer, x.grad.data)
    set_grad(x, [2.0, 0.0])
    optimizer.step()
    assert optimizer.state[id(x)]["momentum_buffer"] is buffer   # updated in place
    np.testing.assert_allclose(buffer, [0.9 + 2.0, 0.9], rtol=1e-6)


def test_adam_counts_its_steps_and_keeps_its_moment_arrays():
    x = parameter([1.0, 2.0])
    optimizer = Adam([x], lr=0.1, betas=(0.5, 0.75))
    set_grad(x, [1.0, -2.0])
    optimizer.step()
    state = optimizer.state[id(x)]
    m, v = state["exp_avg"], state["exp_avg_sq"]
    set_grad(x, [3.0, 0.0])
    optimizer.step()
    assert state["step"] == 2 and state["exp_avg"] is m and state["exp_avg_sq"] is v
    np.testing.assert_allclose(m, [0.5 * 0.5 + 0.5 * 3.0, 0.5 * -1.0], rtol=1e-6)
    np.testing.assert_allclose(v, [0.75 * 0.25 + 0.25 * 9.0, 0.75 * 1.0], rtol=1e-6)


@pytest.mark.parametrize("weight_decay", [0.0, 0.5, 1.0])
def test_adamw_with_a_zero_gradient_only_decays_the_weights(weight_decay):
    """Adam's own step is 0 for a zero gradient: what is left is the decoupled decay."""
    x = parameter([2.0, -4.0])
    optimizer = AdamW([x], lr=0.1, weight_decay=weight_decay)
    set_grad(x, [0.0, 0.0])
    optimizer.step()
    np.testing.assert_allclose(x.data, np.float32([2.0, -4.0]) * (1 - 0.1 * weight_decay),
                               rtol=1e-6)
