"""sum/mean/max/min/var/argmax/argmin against NumPy, with axis/keepdims and dim/keepdim."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from tinytorch.tensor import Tensor

REDUCTIONS = {
    "sum": np.sum,
    "mean": np.mean,
    "max": np.max,
    "min": np.min,
    "var": lambda x, axis=None, keepdims=False: np.var(x, axis=axis, keepdims=keepdims, ddof=1),
    "argmax": np.argmax,
    "argmin": np.argmin,
}

AXES = [None, 0, 1, -1, (0, 2), [0, 2], (-1, -3)]


def _ours(name, t, **kwargs):
    return getattr(t, name)(**kwargs)


CASES = [
    (name, axis)
    for name in REDUCTIONS
    for axis in AXES
    if not (name.startswith("arg") and isinstance(axis, (tuple, list)))  # they take one axis
]


@pytest.mark.parametrize(("name", "axis"), CASES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_like_numpy(name, axis, keepdims, rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    expected = REDUCTIONS[name](x.astype(np.float64), axis=np_axis, keepdims=keepdims)
    out = _ours(name, Tensor(x), axis=axis, keepdims=keepdims)
    assert out.shape == np.shape(expected)
    assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    aliased = _ours(name, Tensor(x), dim=axis, keepdim=keepdims)
    assert_array_equal(aliased.numpy(), out.numpy())


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "var"])
def test_reductions_keep_the_float_dtype(name):
    for dtype in (np.float32, np.float64):
        assert _ours(name, Tensor([1.0, 2.0, 4.0], dtype=dtype)).dtype == dtype
        assert _ours(name, Tensor([[1.0, 2.0]], dtype=dtype), dim=1).dtype == dtype


def test_argmax_gives_int64_indices_and_the_first_of_ties():
    x = Tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]])
    assert x.argmax().dtype == np.int64
    assert x.argmax().item() == 3
    assert_array_equal(x.argmax(dim=1).numpy(), [1, 0])
    assert_array_equal(x.argmin(axis=0).numpy(), [0, 1, 0])
    assert x.argmax(dim=1, keepdim=True).shape == (2, 1)


def test_reductions_of_scalars_and_size_one_dims():
    s = Tensor(3.0)
    for name in ("sum", "mean", "max", "min"):
        out = _ours(name, s)
        assert out.shape == () and out.item() == 3.0
    ones = Tensor(np.full((1, 3, 1), 2.0))
    assert ones.sum(dim=0).shape == (3, 1)
    assert ones.max(dim=2, keepdim=True).shape == (1, 3, 1)
    assert ones.mean(dim=(0, 2)).shape == (3,)


def test_reductions_over_empty_dims():
    empty = Tensor(np.zeros((0, 3)))
    assert empty.sum().item() == 0.0
    assert_array_equal(empty.sum(dim=0).numpy(), [0.0, 0.0, 0.0])
    assert empty.sum(dim=1).shape == (0,)
    assert empty.max(dim=1).shape == (0,)
    assert empty.mean(dim=1).shape == (0,)
    with pytest.raises(ValueError, match="max"):
        empty.max()


def test_reductions_on_noncontiguous_views(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    t = Tensor(x).T
    assert_allclose(t.sum(dim=1).numpy(), x.T.sum(axis=1), rtol=1e-6)
    assert_allclose(t.max(dim=0).numpy(), x.T.max(axis=0))
    assert_array_equal(t.argmax(dim=1).numpy(), x.T.argmax(axis=1))


def test_var_correction_and_unbiased():
    data = np.array([[1.0, 2.0, 4.0, 7.0], [0.0, 0.0, 1.0, 1.0]])
    x = Tensor(data)
    assert_allclose(x.var().item(), np.var(data, ddof=1), rtol=1e-6)
    assert_allclose(x.var(dim=1, correction=0).numpy(), np.var(data, axis=1), rtol=1e-6)
    assert_allclose(x.var(dim=1, unbiased=False).numpy(), np.var(data, axis=1), rtol=1e-6)
    assert_allclose(x.var(dim=1, unbiased=True).numpy(), np.var(data, axis=1, ddof=1), rtol=1e-6)
    with np.errstate(divide="ignore", invalid="ignore"), pytest.warns(RuntimeWarning):
        assert not np.isfinite(x.var(dim=0, correction=2).numpy()).any()  # N - correction = 0
    assert_allclose(x.std(dim=1).numpy(), np.std(data, axis=1, ddof=1), rtol=1e-6)
    assert_allclose(x.std(dim=1, correction=0).numpy(), np.std(data, axis=1), rtol=1e-6)


def test_axis_and_dim_together_is_an_error():
    with pytest.raises(TypeError, match="axis or dim"):
        Tensor([1.0]).sum(axis=0, dim=0)


def test_integer_sum_stays_integer_and_mean_is_float32():
    x = Tensor([[1, 2], [3, 4]])
    assert x.sum().dtype == np.int64
    assert x.sum().item() == 10
    assert x.mean().dtype == np.float32
    assert x.mean().item() == 2.5
    assert x.max(dim=0).dtype == np.int64


def test_any_and_all_return_boolean_tensors_as_pytorch():
    assert Tensor([False, True]).any().dtype == np.bool_
    assert Tensor([False, True]).any().shape == ()
    assert bool(Tensor([False, True]).any()) is True
    assert bool(Tensor([False, True]).all()) is False
    assert bool((Tensor([1.0, 2.0]) > 0).all()) is True


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_and_log_softmax_like_numpy(dim, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    shifted = x.astype(np.float64) - x.max(axis=dim, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=dim, keepdims=True)
    out = Tensor(x).softmax(dim=dim)
    assert out.dtype == np.float32
    assert_allclose(out.numpy(), expected, rtol=1e-5)
    assert_allclose(out.numpy().sum(axis=dim), 1.0, rtol=1e-6)
    assert_allclose(Tensor(x).log_softmax(dim).numpy(), np.log(expected), rtol=1e-5, atol=1e-6)


def test_softmax_is_stable_for_huge_logits():
    x = Tensor([[1000.0, 0.0, -1000.0]])
    assert_allclose(x.softmax().numpy(), [[1.0, 0.0, 0.0]])
    assert_allclose(x.log_softmax().numpy(), [[0.0, -1000.0, -2000.0]])
    assert Tensor([1, 2]).softmax().dtype == np.float32
    assert Tensor([1.0, 2.0], dtype=np.float64).log_softmax().dtype == np.float64
