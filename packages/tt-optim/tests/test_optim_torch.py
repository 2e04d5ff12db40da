"""Optimizer trajectories equal PyTorch's over 50 steps (skipped when torch is absent)."""

import numpy as np
import pytest
from tinytorch import optim
from tinytorch.tensor import Tensor

torch = pytest.importorskip("torch")

STEPS = 50
SHAPES = [(4, 3), (3,)]

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.001, alpha=0.9, weight_decay=0.01, momentum=0.5)),
    ("RMSprop", dict(lr=0.001, centered=True, momentum=0.9)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1)),
]


def gradient(params, noise):
    """A gradient that depends on the parameters: that of sum(x^2 + sin(3x)) plus noise."""
    return [
        (2 * p + 3 * np.cos(3 * p) + n).astype(np.float32)
        for p, n in zip(params, noise, strict=True)
    ]


@pytest.mark.parametrize("name, options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch(name, options):
    rng = np.random.default_rng(1)
    initial = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    noise = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(STEPS)]

    ours = [Tensor(a.copy(), requires_grad=True) for a in initial]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in initial]
    our_optimizer = getattr(optim, name)(ours, **options)
    their_optimizer = getattr(torch.optim, name)(theirs, foreach=False, **options)

    for step in range(STEPS):
        for p, g in zip(ours, gradient([p.data for p in ours], noise[step]), strict=True):
            p.grad = Tensor(g)
        for p, g in zip(
            theirs, gradient([p.detach().numpy() for p in theirs], noise[step]), strict=True
        ):
            p.grad = torch.from_numpy(g)
        our_optimizer.step()
        their_optimizer.step()

    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_param_groups_match_torch():
    rng = np.random.default_rng(2)
    a0, b0 = rng.standard_normal(5).astype(np.float32), rng.standard_normal(2).astype(np.float32)
    ours = [Tensor(a0.copy(), requires_grad=True), Tensor(b0.copy(), requires_grad=True)]
    theirs = [
        torch.tensor(a0.copy(), requires_grad=True),
        torch.tensor(b0.copy(), requires_grad=True),
    ]
    our_opt = optim.Adam([{"params": [ours[0]]}, {"params": [ours[1]], "lr": 0.1}], lr=0.01)
    their_opt = torch.optim.Adam(
        [{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": 0.1}], lr=0.01, foreach=False
    )
    for _ in range(10):
        for p, q in zip(ours, theirs, strict=True):
            g = (np.sin(p.data) + 0.5).astype(np.float32)
            p.grad = Tensor(g)
            q.grad = torch.from_numpy((np.sin(q.detach().numpy()) + 0.5).astype(np.float32))
        our_opt.step()
        their_opt.step()
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-5, atol=1e-6)
