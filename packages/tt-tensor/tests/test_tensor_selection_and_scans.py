"""Forward values of //, %, cumsum, prod, amax/amin, any/all, sort/topk, gather, masked_fill,
repeat, split/chunk and tril/triu: against NumPy, and against PyTorch where it is installed."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from tinytorch.tensor import DTypeError, ShapeError, Tensor, ValuesIndices

A = np.array([[1.0, -2.0, 3.0, 0.0], [0.5, 4.0, -1.0, 4.0], [2.0, 2.0, 0.0, -3.0]])
INTS = np.array([7, -7, 5, -3, 0, 9])
DIVISORS = np.array([2, 2, -2, -2, 3, -4])


def _torch():
    return pytest.importorskip("torch")


# ----------------------------------------------------------------------------- // and %


def test_floor_divide_rounds_toward_minus_infinity():
    assert_array_equal((Tensor(INTS) // Tensor(DIVISORS)).numpy(), [3, -4, -3, 1, 0, -3])
    assert_array_equal((Tensor([7.5, -7.5]) // 2).numpy(), [3.0, -4.0])
    assert (Tensor(INTS) // 2).dtype == np.int64


def test_remainder_takes_the_sign_of_the_divisor():
    assert_array_equal((Tensor(INTS) % Tensor(DIVISORS)).numpy(), [1, 1, -1, -1, 0, -3])
    assert_allclose((Tensor([5.5, -5.5]) % 2).numpy(), [1.5, 0.5])
    assert_allclose((Tensor([5.5, -5.5]) % -2).numpy(), [-0.5, -1.5])


def test_reflected_floor_divide_and_remainder():
    x = Tensor([2, -3, 4])
    assert_array_equal((7 // x).numpy(), [3, -3, 1])
    assert_array_equal((7 % x).numpy(), [1, -2, 3])
    assert_allclose((7.0 % Tensor([-2.0, 3.0])).numpy(), [-1.0, 1.0])
    assert_array_equal(Tensor([7]).floor_divide(2).numpy(), [3])
    assert_array_equal(Tensor([-7]).remainder(2).numpy(), [1])


def test_integer_division_by_zero_is_an_error():
    with pytest.raises(ZeroDivisionError, match="floor_divide: integer division by zero"):
        Tensor([5, 3]) // 0
    with pytest.raises(ZeroDivisionError, match="remainder"):
        Tensor([5, 3]) % Tensor([1, 0])
    with np.errstate(divide="ignore"):  # floats divide by 0 to infinity, as in PyTorch
        assert_array_equal((Tensor([1.0, -1.0]) // 0.0).numpy(), [np.inf, -np.inf])


def test_division_matches_pytorch():
    torch = _torch()
    a, b = np.array([7.0, -7.0, 5.5, -0.5, 3.0]), np.array([2.0, 2.0, -2.0, 3.0, -1.5])
    for op in ("__floordiv__", "__mod__"):
        ours = getattr(Tensor(a), op)(Tensor(b)).numpy()
        assert_allclose(ours, getattr(torch.tensor(a), op)(torch.tensor(b)).numpy())
        ours = getattr(Tensor(INTS), op)(Tensor(DIVISORS)).numpy()
        assert_array_equal(ours, getattr(torch.tensor(INTS), op)(torch.tensor(DIVISORS)).numpy())


# ----------------------------------------------------------------------------- scans and products


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum_like_numpy(dim):
    assert_allclose(Tensor(A).cumsum(dim).numpy(), np.cumsum(A, axis=dim).astype(np.float32))
    assert_allclose(Tensor(A).cumsum(dim=dim).numpy(), np.cumsum(A, axis=dim).astype(np.float32))


def test_cumsum_dtypes_and_0d():
    assert Tensor([True, True]).cumsum(0).dtype == np.int64
    assert Tensor([1, 2]).cumsum(0, dtype=np.float64).dtype == np.float64
    out = Tensor(5.0).cumsum(0)
    assert out.shape == () and out.item() == 5.0
    with pytest.raises(IndexError, match="cumsum: dim 2 is out of range"):
        Tensor(A).cumsum(2)


@pytest.mark.parametrize(("dim", "keepdim"), [(None, False), (0, False), (1, True), (-1, False)])
def test_prod_like_numpy(dim, keepdim):
    expected = A.prod(axis=dim, keepdims=keepdim)
    assert_allclose(Tensor(A).prod(dim, keepdim).numpy(), expected, rtol=1e-6)


def test_prod_dtypes_and_errors():
    assert Tensor([True, True]).prod().dtype == np.int64
    assert Tensor([2, 3]).prod(dtype=np.float32).dtype == np.float32
    assert Tensor(3.0).prod(0).item() == 3.0
    with pytest.raises(TypeError, match="prod: expected dim to be an int or None"):
        Tensor(A).prod((0, 1))
    with pytest.raises(IndexError, match="prod: dim -3 is out of range"):
        Tensor(A).prod(-3)


def test_amax_amin_over_dims():
    x = Tensor(A)
    assert_allclose(x.amax().numpy(), A.max())
    assert_allclose(x.amax(dim=1).numpy(), A.max(axis=1))
    assert_allclose(x.amin(dim=(0, 1), keepdim=True).numpy(), A.min(axis=(0, 1), keepdims=True))
    assert_allclose(x.amin([-1]).numpy(), A.min(axis=-1))
    with pytest.raises(ValueError, match="amax: dim \\(1, -1\\) names a dim more than once"):
        x.amax((1, -1))
    with pytest.raises(IndexError, match="amin: dim 2 is out of range"):
        x.amin(2)


def test_any_all_with_dim_and_keepdim():
    x = Tensor(A)
    assert_array_equal(x.any(dim=1).numpy(), [True, True, True])
    assert_array_equal((x > 0).all(dim=0).numpy(), [True, False, False, False])
    assert_array_equal((x > -5).all(dim=1, keepdim=True).numpy(), [[True], [True], [True]])
    assert x.any(dim=(0, 1)).dtype == np.bool_
    assert_array_equal(Tensor(np.zeros((2, 0))).all(dim=1).numpy(), [True, True])


def test_reductions_match_pytorch():
    torch = _torch()
    t = torch.tensor(A)
    assert_allclose(Tensor(A, dtype=np.float64).prod(1).numpy(), t.prod(1).numpy())
    assert_allclose(Tensor(A, dtype=np.float64).cumsum(0).numpy(), t.cumsum(0).numpy())
    assert_allclose(Tensor(A).amax((0, 1)).numpy(), t.amax((0, 1)).numpy())
    assert_array_equal(Tensor(A).any(1).numpy(), t.any(1).numpy())
    assert_array_equal(Tensor(A).all(0, keepdim=True).numpy(), t.all(0, keepdim=True).numpy())


# ----------------------------------------------------------------------------- sort, topk, gather


def test_sort_returns_values_and_int64_indices():
    result = Tensor(A).sort(dim=1)
    assert isinstance(result, ValuesIndices)
    values, indices = result
    assert_allclose(values.numpy(), np.sort(A, axis=1))
    assert indices.dtype == np.int64
    assert_array_equal(indices.numpy(), np.argsort(A, axis=1, kind="stable"))
    assert_allclose(result.values.numpy(), values.numpy())


def test_sort_is_stable_both_ways_and_puts_nan_last():
    x = Tensor([2.0, 1.0, 2.0, 1.0, 2.0])
    assert_array_equal(x.sort().indices.numpy(), [1, 3, 0, 2, 4])
    assert_array_equal(x.sort(descending=True).indices.numpy(), [0, 2, 4, 1, 3])
    assert_array_equal(x.argsort(descending=True).numpy(), [0, 2, 4, 1, 3])
    nan = Tensor([3.0, np.nan, 1.0])
    assert_array_equal(nan.sort().indices.numpy(), [2, 0, 1])
    assert_array_equal(nan.sort(descending=True).indices.numpy(), [1, 0, 2])
    assert_array_equal(Tensor([True, False]).sort(descending=True).values.numpy(), [True, False])


def test_sort_of_0d_and_empty():
    values, indices = Tensor(5.0).sort()
    assert values.item() == 5.0 and indices.item() == 0 and indices.dtype == np.int64
    assert Tensor(np.zeros((2, 0))).sort(dim=1).values.shape == (2, 0)


def test_sort_matches_pytorch_with_stable_ties():
    torch = _torch()
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 0.0, -1.0, 0.0]])
    for descending in (False, True):
        ours = Tensor(x).sort(dim=1, descending=descending, stable=True)
        ref = torch.tensor(x).sort(dim=1, descending=descending, stable=True)
        assert_allclose(ours.values.numpy(), ref.values.numpy())
        assert_array_equal(ours.indices.numpy(), ref.indices.numpy())


@pytest.mark.parametrize(("k", "dim", "largest"), [(2, -1, True), (1, 0, False), (0, 1, True)])
def test_topk_matches_pytorch(k, dim, largest):
    torch = _torch()
    x = np.array([[3.0, 1.0, 4.0, 1.5], [2.0, 7.0, -1.0, 0.5], [0.0, 6.0, 5.0, 9.0]])
    ours = Tensor(x).topk(k, dim, largest)
    ref = torch.tensor(x).topk(k, dim, largest)
    assert_allclose(ours.values.numpy(), ref.values.numpy())
    assert_array_equal(ours.indices.numpy(), ref.indices.numpy())


def test_topk_k_out_of_range():
    with pytest.raises(IndexError, match=r"topk: k=5 is out of range .* expected 0 <= k <= 4"):
        Tensor(A).topk(5)
    with pytest.raises(IndexError, match="topk"):
        Tensor(A).topk(-1)


def test_gather_picks_along_a_dim():
    x = Tensor(A)
    index = Tensor([[0, 0], [2, 1]])
    assert_allclose(x.gather(0, index).numpy(), [[1.0, -2.0], [2.0, 4.0]])
    assert_allclose(x.gather(1, index).numpy(), [[1.0, 1.0], [-1.0, 4.0]])
    assert_allclose(x.gather(-1, Tensor([[3], [1], [0]])).numpy(), [[0.0], [4.0], [2.0]])
    assert x.gather(1, Tensor(np.zeros((3, 0), dtype=np.int64))).shape == (3, 0)
    assert x.gather(1, Tensor([[1], [1]], dtype=np.int32)).shape == (2, 1)


def test_gather_matches_pytorch():
    torch = _torch()
    index = np.array([[2, 0, 1, 1], [0, 0, 2, 1]])
    for dim in (0, -2):
        ours = Tensor(A).gather(dim, Tensor(index)).numpy()
        assert_allclose(ours, torch.tensor(A).gather(dim, torch.tensor(index)).numpy())


def test_gather_errors_name_what_was_expected():
    x = Tensor(A)
    with pytest.raises(DTypeError, match="gather: expected an integer \\(int64\\) index tensor"):
        x.gather(0, Tensor([[0.0]]))
    with pytest.raises(DTypeError, match="got list"):
        x.gather(0, [[0]])
    with pytest.raises(ShapeError, match="as many dims as the input: got index shape \\(2,\\)"):
        x.gather(0, Tensor([0, 1]))
    with pytest.raises(ShapeError, match="no larger than input shape \\(3, 4\\) in every dim but"):
        x.gather(0, Tensor([[0, 0, 0, 0, 0]]))
    with pytest.raises(IndexError, match="must lie in \\[0, 3\\) .* from -1 to 0"):
        x.gather(0, Tensor([[-1, 0]]))
    with pytest.raises(IndexError, match="must lie in \\[0, 4\\)"):
        x.gather(1, Tensor([[4]]))
    with pytest.raises(IndexError, match="gather: dim 2 is out of range"):
        x.gather(2, Tensor([[0]]))


# ----------------------------------------------------------------------------- masks and copies


def test_masked_fill_keeps_the_dtype_and_broadcasts():
    x = Tensor(A)
    out = x.masked_fill(x < 0, 0.0)
    assert_allclose(out.numpy(), np.where(A < 0, 0.0, A))
    assert out.dtype == np.float32
    ints = Tensor([1, 2, 3]).masked_fill(Tensor([True, False, True]), 1.5)
    assert ints.dtype == np.int64 and ints.tolist() == [1, 2, 1]
    wide = Tensor(np.zeros(3)).masked_fill(Tensor([[True], [False]]), Tensor(2.0))
    assert_allclose(wide.numpy(), [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]])


def test_masked_fill_errors():
    x = Tensor(A)
    with pytest.raises(DTypeError, match="masked_fill: expected a boolean mask tensor, got dtype"):
        x.masked_fill(Tensor(np.ones((3, 4), dtype=np.int64)), 0.0)
    with pytest.raises(DTypeError, match="got ndarray"):
        x.masked_fill(A > 0, 0.0)
    with pytest.raises(ShapeError, match="mask of shape \\(2,\\) does not broadcast .*\\(3, 4\\)"):
        x.masked_fill(Tensor([True, False]), 0.0)
    with pytest.raises(ValueError, match="a number or a 0-d tensor as value, got a tensor of"):
        x.masked_fill(x > 0, Tensor([1.0, 2.0]))


def test_masked_fill_matches_pytorch():
    torch = _torch()
    mask = A > 0.5
    ours = Tensor(A).masked_fill(Tensor(mask), -1e9).numpy()
    assert_allclose(ours, torch.tensor(A).float().masked_fill(torch.tensor(mask), -1e9).numpy())


def test_repeat_like_pytorch_shapes():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert_allclose(x.repeat(1, 2).numpy(), [[1, 2, 1, 2], [3, 4, 3, 4]])
    assert x.repeat(2, 1, 3).shape == (2, 2, 6)
    assert x.repeat((0, 1)).shape == (0, 2)
    assert Tensor(3.0).repeat(2).tolist() == [3.0, 3.0]
    with pytest.raises(ValueError, match="repeat: expected at least 2 non-negative sizes"):
        x.repeat(2)
    with pytest.raises(ValueError, match="non-negative"):
        x.repeat(-1, 1)


def test_repeat_matches_pytorch():
    torch = _torch()
    assert_allclose(Tensor(A).repeat(2, 1, 3).numpy(), torch.tensor(A).repeat(2, 1, 3).numpy())


def _shapes(pieces):
    return [p.shape for p in pieces]


def test_split_by_size_and_by_sections():
    x = Tensor(np.arange(10.0).reshape(5, 2))
    pieces = x.split(2)
    assert isinstance(pieces, tuple)
    assert _shapes(pieces) == [(2, 2), (2, 2), (1, 2)]
    assert_allclose(pieces[2].numpy(), [[8.0, 9.0]])
    assert _shapes(x.split([2, 0, 3])) == [(2, 2), (0, 2), (3, 2)]
    assert _shapes(x.split(1, dim=1)) == [(5, 1), (5, 1)]
    assert _shapes(Tensor(np.zeros(0)).split(0)) == [(0,)]
    assert _shapes(Tensor(np.zeros(0)).split(2)) == [(0,)]


def test_split_errors():
    x = Tensor(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="split: sizes \\[2, 2\\] must be non-negative and add up"):
        x.split([2, 2])
    with pytest.raises(ValueError, match="split_size must be positive"):
        x.split(0)
    with pytest.raises(IndexError, match="split: dim 2 is out of range"):
        x.split(1, dim=2)


def test_chunk_sizes_as_pytorch():
    assert _shapes(Tensor(np.zeros(5)).chunk(3)) == [(2,), (2,), (1,)]
    assert _shapes(Tensor(np.zeros(6)).chunk(4)) == [(2,), (2,), (2,)]
    assert _shapes(Tensor(np.zeros((2, 0))).chunk(2, dim=1)) == [(2, 0), (2, 0)]
    assert _shapes(Tensor(np.zeros(0)).chunk(3)) == [(0,), (0,), (0,)]
    with pytest.raises(ValueError, match="chunk: expected chunks > 0, got 0"):
        Tensor(np.zeros(3)).chunk(0)


def test_split_and_chunk_match_pytorch():
    torch = _torch()
    for n in (0, 1, 5, 7, 12):
        x, t = Tensor(np.arange(float(n))), torch.arange(float(n))
        for chunks in (1, 2, 3, 5):
            assert _shapes(x.chunk(chunks)) == [tuple(p.shape) for p in t.chunk(chunks)]
        for size in (1, 2, 3, 5):
            assert _shapes(x.split(size)) == [tuple(p.shape) for p in t.split(size)]


@pytest.mark.parametrize("diagonal", [-1, 0, 1, 5])
def test_tril_triu_like_numpy_on_batches(diagonal):
    x = np.arange(24.0).reshape(2, 3, 4)
    assert_allclose(Tensor(x).tril(diagonal).numpy(), np.tril(x, diagonal))
    assert_allclose(Tensor(x).triu(diagonal=diagonal).numpy(), np.triu(x, diagonal))


def test_tril_needs_a_matrix():
    with pytest.raises(ValueError, match="tril: expected a tensor with at least 2 dims"):
        Tensor([1.0, 2.0]).tril()
    with pytest.raises(ValueError, match="triu"):
        Tensor(1.0).triu()
