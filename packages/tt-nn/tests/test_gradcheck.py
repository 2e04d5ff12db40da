"""Every layer, activation and loss against finite differences, in float64."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.autograd import gradcheck
from tinytorch.nn import functional as F
from tinytorch.tensor import Tensor

RNG = np.random.default_rng(0)


def leaf(*shape, scale=1.0):
    return Tensor(RNG.standard_normal(shape) * scale, dtype=np.float64, requires_grad=True)


def test_linear_layer_gradients_for_input_weight_and_bias():
    layer = nn.Linear(5, 3).double()
    x = leaf(2, 4, 5)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), x, layer.weight, layer.bias)
    assert gradcheck(lambda x: layer(x), x)


def test_linear_skips_the_input_gradient_when_not_needed():
    layer = nn.Linear(3, 2).double()
    x = Tensor(RNG.standard_normal((4, 3)), dtype=np.float64)
    layer(x).sum().backward()
    assert x.grad is None and layer.weight.grad is not None
    assert gradcheck(lambda w: F.linear(x, w), layer.weight)


# Built inside the test, not at collection: in a starter, Module.__setattr__ is a stub.
ACTIVATIONS = {
    "ReLU()": lambda: nn.ReLU(),
    "LeakyReLU(0.1)": lambda: nn.LeakyReLU(0.1),
    "Tanh()": lambda: nn.Tanh(),
    "Sigmoid()": lambda: nn.Sigmoid(),
    "GELU()": lambda: nn.GELU(),
    "GELU('tanh')": lambda: nn.GELU("tanh"),
    "SiLU()": lambda: nn.SiLU(),
    "Softmax(dim=0)": lambda: nn.Softmax(dim=0),
    "Softmax(dim=-1)": lambda: nn.Softmax(dim=-1),
    "LogSoftmax(dim=1)": lambda: nn.LogSoftmax(dim=1),
    "Flatten()": lambda: nn.Flatten(),
    "Identity()": lambda: nn.Identity(),
}


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_gradients(name):
    module = ACTIVATIONS[name]()
    x = leaf(3, 4, scale=2.0)
    x.data[np.abs(x.data) < 1e-3] += 0.01  # keep ReLU's kink away from the finite differences
    assert gradcheck(module, x)


def test_gelu_gradient_in_the_tails():
    x = Tensor(np.array([-8.0, -4.0, -2.5, 2.5, 4.0, 8.0]), dtype=np.float64, requires_grad=True)
    assert gradcheck(F.gelu, x)


def test_softmax_gradients_for_large_logits():
    x = leaf(3, 5, scale=1e4)
    assert gradcheck(lambda t: F.log_softmax(t, 1), x)


def test_dropout_gradient():
    x = leaf(4, 5)
    assert gradcheck(lambda t: F.dropout(t, 0.4, generator=np.random.default_rng(0)), x)


def test_sequential_model_gradients():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), nn.GELU()).double()
    assert gradcheck(lambda x, w: model(x), leaf(5, 3), model[0].weight)


# ---------------------------------------------------------------------------- losses

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss(reduction):
    assert gradcheck(lambda a, b: F.mse_loss(a, b, reduction), leaf(3, 4), leaf(3, 4))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_loss(reduction):
    p = Tensor(RNG.uniform(0.05, 0.95, (3, 4)), dtype=np.float64, requires_grad=True)
    y = Tensor(RNG.uniform(0, 1, (3, 4)), dtype=np.float64, requires_grad=True)
    weight = RNG.uniform(0.5, 2, 4)
    assert gradcheck(nn.BCELoss(reduction=reduction), p, y)
    assert gradcheck(lambda a: F.binary_cross_entropy(a, y, weight, reduction), p)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_loss(reduction):
    y = Tensor(RNG.uniform(0, 1, (3, 4)), dtype=np.float64, requires_grad=True)
    pos_weight = RNG.uniform(0.5, 3, 4)
    assert gradcheck(nn.BCEWithLogitsLoss(reduction=reduction), leaf(3, 4, scale=3), y)
    loss = nn.BCEWithLogitsLoss(
        weight=RNG.uniform(0.5, 2, 4), reduction=reduction, pos_weight=pos_weight
    )
    assert gradcheck(loss, leaf(3, 4, scale=3), y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy(reduction, label_smoothing, weighted):
    weight = RNG.uniform(0.2, 2.0, 5) if weighted else None
    target = np.array([1, 0, 4, -100, 2, 3])
    loss = nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=label_smoothing)
    assert gradcheck(lambda z: loss(z, target), leaf(6, 5))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_spatial_dims_and_ignore_index(reduction):
    target = RNG.integers(0, 4, (2, 3, 2))
    target[0, 1, 1] = 7
    loss = nn.CrossEntropyLoss(ignore_index=7, reduction=reduction, label_smoothing=0.1)
    assert gradcheck(lambda z: loss(z, target), leaf(2, 4, 3, 2))


def test_cross_entropy_for_logits_of_magnitude_1e4():
    target = np.array([0, 1, 2, 1])
    logits = leaf(4, 3, scale=1e4)
    for smoothing in (0.0, 0.2):
        assert gradcheck(
            lambda z, e=smoothing: F.cross_entropy(z, target, label_smoothing=e), logits
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(reduction, weighted):
    weight = RNG.uniform(0.2, 2.0, 4) if weighted else None
    target = np.array([3, -100, 0, 1, 2])
    loss = nn.NLLLoss(weight, reduction=reduction)
    assert gradcheck(lambda z: loss(F.log_softmax(z, 1), target), leaf(5, 4))
    assert gradcheck(lambda x: loss(x, target), leaf(5, 4))
