"""Forward values and gradients of composite expressions against PyTorch (float64)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from tinytorch.tensor import Tensor, cat, stack, where

torch = pytest.importorskip("torch")


def _both(fn_ours, fn_torch, *arrays):
    ours = [Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, ref = fn_ours(*ours), fn_torch(*theirs)
    assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    direction = np.random.default_rng(0).standard_normal(ref.shape)
    out.backward(direction)
    ref.backward(torch.tensor(direction))
    for o, t in zip(ours, theirs, strict=True):
        assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


R = np.random.default_rng(11)


def family(expression, inputs, torch_expression=None):
    """(tinytorch expression, PyTorch expression, inputs) of one family of ops.

    tinytorch spells most operations as PyTorch does, so one expression runs on
    both libraries; ``torch_expression`` is for the families spelled differently.
    """
    return expression, torch_expression or expression, inputs


FAMILIES = {
    "arithmetic": family(
        lambda a, b: (a * b - a / (b * b + 1)) ** 2 + 3 - b,
        [R.standard_normal((2, 3)), R.standard_normal(3)],
    ),
    "unary": family(
        lambda x: (
            (x.exp() + x.abs().sqrt() + (x * x + 1).log()).sin() * x.tanh()
            + x.sigmoid().cos()
            + x.relu()
        ),
        [R.standard_normal((3, 2)) + 0.05],
    ),
    "pow-clip-maximum": family(
        lambda x, y: (
            (x.abs() + 0.5) ** 1.7 + x.clip(-0.5, 0.5) + x.maximum(y) - x.minimum(y) ** 3 + 2.0**x
        ),
        [R.standard_normal((2, 2)), R.standard_normal(2)],
    ),
    "matmul": family(
        lambda a, b, v: ((a @ b) @ v).tanh() + (v @ b.transpose(-1, -2)).sum(),
        [R.standard_normal((2, 3, 4)), R.standard_normal((4, 4)), R.standard_normal(4)],
    ),
    "addmm": family(
        lambda c, a, b: c.addmm(a, b).tanh() + c.addmm(a, b, beta=0.5, alpha=-2.0),
        [R.standard_normal(4), R.standard_normal((2, 3)), R.standard_normal((3, 4))],
    ),
    "reductions": family(
        lambda x: (
            x.sum(dim=0) * x.mean(dim=1, keepdim=True)
            + x.max(dim=1, keepdim=True)
            - x.min()
            + x.var(dim=0)
            + x.std()
            + x.var(dim=1, keepdim=True, correction=0)
        ),
        [R.standard_normal((3, 4))],
        # torch's max(dim=...) also returns the indices; amax is the values alone
        torch_expression=lambda x: (
            x.sum(dim=0) * x.mean(dim=1, keepdim=True)
            + x.amax(dim=1, keepdim=True)
            - x.min()
            + x.var(dim=0)
            + x.std()
            + x.var(dim=1, keepdim=True, correction=0)
        ),
    ),
    "softmax": family(
        lambda x: x.softmax(dim=-1) * x.log_softmax(dim=0),
        [R.standard_normal((3, 4))],
    ),
    "movement": family(
        lambda x: (
            x.reshape(4, 3).T.unsqueeze(0).expand(2, 3, 4).permute(2, 0, 1).flatten(1)[1:, ::2]
            * x.transpose(0, 1)[None, 0, :3]
        ),
        [R.standard_normal((3, 4))],
    ),
    "indexing": family(
        lambda x: x[[0, 0, 2]] * 2 + x[1:, [1, 1]].sum() + x[x.detach() > 0].sum(),
        [R.standard_normal((3, 2))],
    ),
    "cat-stack-where": family(
        lambda a, b: where(
            a.detach() > 0, cat([a, b], dim=1)[:, :2], stack([b[:, 0], b[:, 1]], dim=1)
        ),
        [R.standard_normal((3, 2)), R.standard_normal((3, 2))],
        torch_expression=lambda a, b: torch.where(
            a.detach() > 0, torch.cat([a, b], dim=1)[:, :2], torch.stack([b[:, 0], b[:, 1]], dim=1)
        ),
    ),
    "division-scans-products": family(
        lambda a, b: (
            (a % b) * (a.detach() // b.detach()) + a.cumsum(dim=1) * a.prod(dim=0) + a.prod()
        ),
        [R.standard_normal((3, 4)) * 3, R.uniform(0.5, 2.0, 4)],
    ),
    "sort-topk-gather": family(
        lambda x: (
            x.sort(dim=1, descending=True).values * x.topk(2, dim=0, largest=False).values.sum()
            + x.gather(1, x.detach().argsort(dim=1)).cumsum(1)
            + x.amax(dim=0) * x.amin()
        ),
        [R.standard_normal((3, 4))],
    ),
    "masks-copies-pieces": family(
        lambda x: (
            x.masked_fill(x.detach() > 0.5, 0.25).tril(-1)
            + x.repeat(1, 2)[:, 1:5].triu(1)
            + x.split([1, 3], dim=1)[1].sum()
            + x.chunk(2)[1].sum(dim=0)
        ),
        [R.standard_normal((3, 4))],
    ),
}


def test_prod_gradient_with_zeros_matches_pytorch():
    values = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 4.0], [1.0, -2.0, 3.0]])
    _both(lambda x: x.prod(dim=1), lambda x: x.prod(dim=1), values)
    _both(lambda x: x.prod(), lambda x: x.prod(), values[0])
    _both(lambda x: x.prod(), lambda x: x.prod(), values[1])


def test_amax_amin_ties_match_pytorch():
    values = np.array([[1.0, 3.0, 3.0, 3.0], [2.0, 2.0, -1.0, 0.0]])
    _both(lambda x: x.amax(dim=1), lambda x: x.amax(dim=1), values)
    _both(lambda x: x.amin(dim=(0, 1)), lambda x: x.amin(dim=(0, 1)), values)


def test_sort_with_ties_matches_pytorch_stable_sort():
    values = np.array([[2.0, 1.0, 2.0, 1.0], [0.0, 0.0, 0.0, 3.0]])
    _both(
        lambda x: x.sort(dim=1, descending=True, stable=True).values,
        lambda x: x.sort(dim=1, descending=True, stable=True).values,
        values,
    )


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_forward_and_gradients_match_pytorch(family):
    ours, theirs, arrays = FAMILIES[family]
    _both(ours, theirs, *arrays)


def test_max_tie_gradient_matches_pytorch_reduction_over_all():
    values = np.array([1.0, 3.0, 3.0, 3.0])
    _both(lambda x: x.max(), lambda x: x.max(), values)
    _both(lambda x: x.maximum(x * 0 + 3.0), lambda x: torch.maximum(x, x * 0 + 3.0), values)
