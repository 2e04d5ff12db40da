"""Distillation loss: values, gradcheck, and a student that learns from a teacher."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.autograd import gradcheck
from tinytorch.nn.functional import cross_entropy
from tinytorch.optim import SGD, DataLoader, TensorDataset
from tinytorch.systems.distillation import distill, distillation_loss, soft_targets_kl
from tinytorch.tensor import Tensor, manual_seed

RNG = np.random.default_rng(0)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_value_matches_the_formula():
    s = RNG.normal(size=(6, 5))
    t = RNG.normal(size=(6, 5))
    y = RNG.integers(0, 5, 6)
    temperature, alpha = 3.0, 0.6
    p, q = _softmax(t / temperature), _softmax(s / temperature)
    kl = (p * (np.log(p) - np.log(q))).sum(axis=1).mean()
    ce = -np.log(_softmax(s)[np.arange(6), y]).mean()
    expected = alpha * temperature**2 * kl + (1 - alpha) * ce
    got = distillation_loss(Tensor(s, dtype=np.float64), t, y, temperature, alpha).item()
    assert got == pytest.approx(expected, rel=1e-9)


def test_identical_logits_leave_only_the_hard_term():
    z = RNG.normal(size=(4, 3))
    y = np.array([0, 1, 2, 0])
    loss = distillation_loss(Tensor(z, dtype=np.float64), z, y, temperature=2.0, alpha=0.5)
    hard = cross_entropy(Tensor(z, dtype=np.float64), y).item()
    assert loss.item() == pytest.approx(0.5 * hard, rel=1e-9)


def test_gradcheck():
    teacher = RNG.normal(size=(4, 5))
    y = RNG.integers(0, 5, 4)
    student = Tensor(RNG.normal(size=(4, 5)), dtype=np.float64, requires_grad=True)
    assert gradcheck(lambda s: distillation_loss(s, teacher, y, 4.0, 0.7), student)


def test_soft_gradient_is_scaled_back_by_temperature():
    """d(T^2 KL)/dz = T (q_T - p_T) / N: with T^2 the soft gradient does not vanish at high T."""
    s = Tensor(RNG.normal(size=(3, 4)), dtype=np.float64, requires_grad=True)
    t = RNG.normal(size=(3, 4))
    temperature = 5.0
    distillation_loss(s, t, np.zeros(3, dtype=np.int64), temperature, alpha=1.0).backward()
    expected = temperature * (_softmax(s.data / temperature) - _softmax(t / temperature)) / 3
    np.testing.assert_allclose(s.grad.data, expected, rtol=1e-9)


def test_bad_arguments_are_errors():
    z = Tensor(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss(z, z, [0, 1], temperature=0)
    with pytest.raises(ValueError, match="alpha"):
        distillation_loss(z, z, [0, 1], alpha=2)
    with pytest.raises(ValueError, match="same shape"):
        distillation_loss(z, np.zeros((2, 4)), [0, 1])


def test_distill_trains_a_student_to_agree_with_its_teacher():
    manual_seed(0)
    x = RNG.normal(size=(200, 6)).astype(np.float32)
    teacher = nn.Sequential(nn.Linear(6, 4))
    y = teacher(Tensor(x)).data.argmax(axis=1)
    student = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 4))
    loader = DataLoader(TensorDataset(x, y), batch_size=20, shuffle=True, seed=0)
    losses = distill(student, teacher, loader, SGD(student.parameters(), lr=0.1), epochs=15)
    assert losses[-1] < losses[0]
    agreement = (student(Tensor(x)).data.argmax(axis=1) == y).mean()
    assert agreement > 0.85


def test_soft_targets_kl_is_stable_for_huge_teacher_logits():
    student = Tensor(np.zeros((1, 3)), dtype=np.float64, requires_grad=True)
    teacher = np.array([[2000.0, 0.0, -2000.0]])
    with np.errstate(over="raise", invalid="raise"):
        loss = soft_targets_kl(student, teacher, temperature=2.0)
    # the teacher puts all its mass on class 0: KL = log p(0) - log q(0) = 0 - log(1/3)
    np.testing.assert_allclose(loss.item(), np.log(3.0), rtol=1e-9)
