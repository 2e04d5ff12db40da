"""Gradients PyTorch defines where a formula meets 0 * inf or 0 / 0: no NaN where it has none."""

from __future__ import annotations

import warnings

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


def test_std_and_var_of_a_constant_row_have_zero_gradient():
    x = leaf([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    x.std(dim=1).sum().backward()
    assert_allclose(x.grad.data, [[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5]])
    x.grad = None
    x.var(dim=1).sum().backward()
    assert_allclose(x.grad.data, [[0.0, 0.0, 0.0], [-1.0, 0.0, 1.0]])


def test_std_matches_pytorch():
    torch = pytest.importorskip("torch")
    values = np.array([[2.0, 2.0, 2.0, 2.0], [0.5, -1.0, 3.0, 0.0]])
    for kwargs in ({"dim": 1}, {"dim": 0, "correction": 0}, {}):
        x = leaf(values)
        tx = torch.tensor(values, requires_grad=True)
        ours, theirs = x.std(**kwargs), tx.std(**kwargs)
        assert_allclose(ours.data, theirs.detach().numpy())
        ours.sum().backward()
        theirs.sum().backward()
        assert_allclose(x.grad.data, tx.grad.numpy(), err_msg=str(kwargs))


@pytest.mark.parametrize("dim", [0, -1])
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "std", "var", "argmax"])
def test_dim_0_of_a_0_d_tensor_reduces_nothing_as_pytorch(op, dim):
    x = leaf(3.0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy's "degrees of freedom <= 0" for std and var
        y = getattr(x, op)(dim=dim)
        assert y.shape == ()
        if op == "argmax":
            assert y.item() == 0
            return
        y.backward()
    if op in ("std", "var"):  # one element, correction 1: NaN value and gradient, as PyTorch
        assert np.isnan(y.item()) and np.isnan(x.grad.item())
    else:
        assert y.item() == 3.0 and x.grad.item() == 1.0


def test_dim_out_of_range_of_a_0_d_tensor_is_named():
    with pytest.raises(IndexError, match="dim 1 is out of range"):
        leaf(3.0).sum(dim=1)


def test_clamp_with_tensor_bounds_forward_and_backward_as_pytorch():
    x = leaf([-1.0, 0.5, 2.0, 3.0])
    low = leaf([0.0, 0.0, 0.0, 3.5])
    high = leaf([1.0, 1.0, 1.0, 2.0])
    y = x.clamp(low, high)
    assert_allclose(y.data, [0.0, 0.5, 1.0, 2.0])
    y.sum().backward()
    assert_allclose(x.grad.data, [0.0, 1.0, 0.0, 0.0])
    assert_allclose(low.grad.data, [1.0, 0.0, 0.0, 0.0])
    assert_allclose(high.grad.data, [0.0, 0.0, 1.0, 1.0])  # high wins where low > high


def test_clamp_with_one_tensor_bound_and_a_number():
    x = leaf([-1.0, 0.5, 2.0])
    low = leaf(0.0)
    y = x.clip(min=low, max=1.5)
    assert_allclose(y.data, [0.0, 0.5, 1.5])
    y.sum().backward()
    assert_allclose(x.grad.data, [0.0, 1.0, 0.0])
    assert_allclose(low.grad.data, 1.0)


def test_clamp_with_tensor_bounds_passes_gradcheck():
    from tinytorch.autograd import gradcheck

    rng = np.random.default_rng(3)
    x, low = leaf(rng.normal(size=(3, 4))), leaf(rng.normal(size=4) - 1)
    high = leaf(rng.normal(size=(3, 1)) + 1)
    assert gradcheck(lambda x, low, high: x.clamp(low, high), x, low, high)


def test_clamp_with_tensor_bounds_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    xs, lows, highs = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=(5, 1))
    x, low, high = leaf(xs), leaf(lows), leaf(highs)
    tx, tl, th = (torch.tensor(v, requires_grad=True) for v in (xs, lows, highs))
    ours, theirs = x.clamp(low, high), torch.clamp(tx, tl, th)
    assert_allclose(ours.data, theirs.detach().numpy())
    ours.sum().backward()
    theirs.sum().backward()
    for mine, torchs in ((x, tx), (low, tl), (high, th)):
        assert_allclose(mine.grad.data, torchs.grad.numpy())
