"""Same weights, same inputs: tinytorch.nn and torch.nn give the same outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.tensor import Tensor

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def pair(array):
    """The same float64 array as a tinytorch leaf and a torch leaf."""
    array = np.asarray(array, np.float64)
    return (
        Tensor(array.copy(), dtype=np.float64, requires_grad=True),
        torch.tensor(array.copy(), requires_grad=True),
    )


def assert_same(ours, theirs, rtol=1e-7, atol=1e-9):
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=atol)


def compare(ours_fn, theirs_fn, *arrays, rtol=1e-7, atol=1e-9):
    """Outputs and input gradients of both functions on the same arrays."""
    ours_in, theirs_in = zip(*(pair(a) for a in arrays), strict=True)
    ours_out, theirs_out = ours_fn(*ours_in), theirs_fn(*theirs_in)
    assert_same(ours_out, theirs_out, rtol, atol)
    direction = RNG.standard_normal(ours_out.shape)
    (ours_out * Tensor(direction, dtype=np.float64)).sum().backward()
    (theirs_out * torch.tensor(direction)).sum().backward()
    for o, t in zip(ours_in, theirs_in, strict=True):
        assert_same(o.grad, t.grad, rtol, atol)


def test_linear_with_copied_weights():
    ours = nn.Linear(5, 3).double()
    theirs = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.data))
        theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    compare(ours, theirs, RNG.standard_normal((4, 5)))
    assert_same(ours.weight.grad, theirs.weight.grad)
    assert_same(ours.bias.grad, theirs.bias.grad)


@pytest.mark.parametrize(
    ("layer", "args"),
    [
        ("ReLU", ()),
        ("LeakyReLU", (0.2,)),
        ("Tanh", ()),
        ("Sigmoid", ()),
        ("GELU", ()),
        ("GELU", ("tanh",)),
        ("SiLU", ()),
        ("Softmax", (1,)),
        ("LogSoftmax", (0,)),
        ("Flatten", ()),
    ],
)
def test_activations(layer, args):
    """Both built from the same name and arguments (inside the test: in a starter,
    Module.__setattr__ is a stub when the tests are collected)."""
    ours, theirs = getattr(nn, layer)(*args), getattr(torch.nn, layer)(*args)
    compare(ours, theirs, RNG.standard_normal((4, 3, 2)) * 3)


def test_mse_loss():
    for reduction in ("mean", "sum", "none"):
        compare(
            nn.MSELoss(reduction=reduction),
            torch.nn.MSELoss(reduction=reduction),
            RNG.standard_normal((3, 4)),
            RNG.standard_normal((3, 4)),
        )


def test_bce_loss():
    p = RNG.uniform(0.01, 0.99, (3, 4))
    y = RNG.uniform(0, 1, (3, 4))
    for reduction in ("mean", "sum", "none"):
        compare(nn.BCELoss(reduction=reduction), torch.nn.BCELoss(reduction=reduction), p, y)


def test_bce_with_logits_loss_with_weights():
    weight, pos_weight = RNG.uniform(0.5, 2, 4), RNG.uniform(0.5, 3, 4)
    for reduction in ("mean", "sum", "none"):
        ours = nn.BCEWithLogitsLoss(weight, reduction, pos_weight)
        theirs = torch.nn.BCEWithLogitsLoss(
            torch.tensor(weight), reduction=reduction, pos_weight=torch.tensor(pos_weight)
        )
        compare(ours, theirs, RNG.standard_normal((3, 4)) * 20, RNG.uniform(0, 1, (3, 4)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy(reduction, smoothing, weighted):
    weight = RNG.uniform(0.2, 2, 5) if weighted else None
    target = np.array([4, 0, -100, 2, 2, 1])
    ours = nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=smoothing)
    theirs = torch.nn.CrossEntropyLoss(
        None if weight is None else torch.tensor(weight),
        reduction=reduction,
        label_smoothing=smoothing,
    )
    compare(
        lambda z: ours(z, target),
        lambda z: theirs(z, torch.from_numpy(target)),
        RNG.standard_normal((6, 5)) * 4,
    )


def test_cross_entropy_spatial_and_huge_logits():
    target = RNG.integers(0, 3, (2, 4))
    target[1, 2] = 1
    compare(
        lambda z: nn.CrossEntropyLoss(ignore_index=1)(z, target),
        lambda z: torch.nn.CrossEntropyLoss(ignore_index=1)(z, torch.from_numpy(target)),
        RNG.standard_normal((2, 3, 4)) * 1e4,
        rtol=1e-6,
    )


@pytest.mark.parametrize("weighted", [False, True])
def test_nll_loss(weighted):
    weight = RNG.uniform(0.2, 2, 4) if weighted else None
    target = np.array([3, 0, 1, -100])
    compare(
        lambda x: nn.NLLLoss(weight)(x, target),
        lambda x: torch.nn.NLLLoss(None if weight is None else torch.tensor(weight))(
            x, torch.from_numpy(target)
        ),
        RNG.standard_normal((4, 4)),
    )


def test_state_dict_keys_match_pytorch():
    ours = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 2)))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(3, 2))
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(
        ours(Tensor(x)).data, theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6
    )
    assert repr(ours) == repr(theirs)
