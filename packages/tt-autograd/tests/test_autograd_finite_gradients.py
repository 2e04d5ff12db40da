"""Gradients PyTorch defines where a formula meets 0 * inf or 0 / 0: no NaN where it has none."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from tinytorch.tensor import Tensor


def leaf(values):
    return Tensor(np.array(values, dtype=np.float64), dtype=np.float64, requires_grad=True)


def test_tensor_power_at_a_zero_base_and_a_negative_base():
    x = leaf([0.0, 0.0, 0.0, 2.0, -2.0])
    p = leaf([2.0, 0.0, 0.5, 2.0, 2.0])
    y = x**p
    assert_allclose(y.data, [0.0, 1.0, 0.0, 4.0, 4.0])
    with np.errstate(invalid="ignore"):
        y.sum().backward()
    assert_allclose(x.grad.data, [0.0, 0.0, np.inf, 4.0, -4.0])
    assert_allclose(p.grad.data[:4], [0.0, 0.0, 0.0, 4 * np.log(2.0)])
    assert np.isnan(p.grad.data[4])  # d/dp (-2)^p needs log(-2): NaN, as in PyTorch


def test_negative_base_with_a_tensor_exponent_is_defined():
    assert_allclose((Tensor([-2.0, 3.0]) ** Tensor([2.0, 2.0])).data, [4.0, 9.0])
    assert_allclose((Tensor([-2.0]) ** Tensor([3.0])).data, [-8.0])


def test_number_to_a_tensor_power_at_a_zero_base():
    e = leaf([0.0, 1.0, 2.0])
    y = 0.0**e
    assert_allclose(y.data, [1.0, 0.0, 0.0])
    y.sum().backward()
    assert_allclose(e.grad.data, [0.0, 0.0, 0.0])


def test_tensor_power_matches_pytorch():
    torch = pytest.importorskip("torch")
    xs, ps = [0.0, 0.0, 0.0, -1.0, 2.0, -2.0], [-1.0, 1.0, 3.0, 3.0, 0.5, 2.0]
    x, p = leaf(xs), leaf(ps)
    with np.errstate(divide="ignore", invalid="ignore"):
        (x**p).sum().backward()
    tx = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    tp = torch.tensor(ps, dtype=torch.float64, requires_grad=True)
    (tx**tp).sum().backward()
    assert_allclose(x.grad.data, tx.grad.numpy())
    assert_allclose(p.grad.data, tp.grad.numpy())
