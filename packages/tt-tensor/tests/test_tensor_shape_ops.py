"""reshape/view/permute/transpose/T/expand/squeeze/unsqueeze/flatten, indexing, cat/stack/where."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from tinytorch.tensor import DTypeError, ShapeError, Tensor, cat, stack, where


@pytest.fixture
def x(rng):
    return rng.standard_normal((2, 3, 4)).astype(np.float32)


# ----------------------------------------------------------------------------- reshape and friends


def test_reshape_and_view(x):
    t = Tensor(x)
    for shape in [(6, 4), (24,), (-1,), (2, -1), (4, 3, 2), (1, 24, 1)]:
        assert_array_equal(t.reshape(shape).numpy(), x.reshape(shape))
        assert_array_equal(t.reshape(*shape).numpy(), x.reshape(shape))
        assert_array_equal(t.view(shape).numpy(), x.reshape(shape))
    assert t.reshape([4, 6]).shape == (4, 6)
    assert Tensor(5.0).reshape(1, 1).shape == (1, 1)
    assert Tensor([5.0]).reshape(()).shape == ()
    assert Tensor(np.zeros((0, 4))).reshape(2, 0, 2).shape == (2, 0, 2)


def test_reshape_to_an_impossible_shape_names_both_shapes():
    with pytest.raises(ShapeError) as info:
        Tensor(np.zeros((2, 3))).reshape(4, 2)
    message = str(info.value)
    assert "reshape" in message and "(2, 3)" in message and "(4, 2)" in message


def test_permute_transpose_and_T(x):
    t = Tensor(x)
    assert_array_equal(t.permute(2, 0, 1).numpy(), np.transpose(x, (2, 0, 1)))
    assert_array_equal(t.permute((1, 2, 0)).numpy(), np.transpose(x, (1, 2, 0)))
    assert_array_equal(t.permute(-1, 0, 1).numpy(), np.transpose(x, (2, 0, 1)))
    assert_array_equal(t.transpose(0, 2).numpy(), np.swapaxes(x, 0, 2))
    assert_array_equal(t.transpose().numpy(), np.swapaxes(x, -2, -1))
    assert_array_equal(t.T.numpy(), x.T)
    assert Tensor(1.0).T.shape == ()
    assert Tensor([1.0, 2.0]).T.shape == (2,)
    assert Tensor(np.zeros((0, 3))).T.shape == (3, 0)


@pytest.mark.parametrize("dims", [(0, 1), (0, 0, 1), (0, 1, 1), (0, 1, 3), (0, 1, -4), (0, 1, 5)])
def test_permute_rejects_what_is_not_a_permutation(dims):
    with pytest.raises(ValueError, match="permute"):
        Tensor(np.zeros((2, 3, 4))).permute(dims)


def test_expand(x):
    row = Tensor([[1.0, 2.0, 3.0]])
    assert_array_equal(row.expand(4, 3).numpy(), np.broadcast_to(row.numpy(), (4, 3)))
    assert_array_equal(row.expand(2, 4, 3).numpy(), np.broadcast_to(row.numpy(), (2, 4, 3)))
    assert row.expand(-1, 3).shape == (1, 3)
    assert row.expand((5, -1)).shape == (5, 3)
    assert Tensor(2.0).expand(2, 2).shape == (2, 2)
    assert row.expand(0, 3).shape == (0, 3)
    assert_array_equal(row.broadcast_to(2, 3).numpy(), [[1, 2, 3], [1, 2, 3]])


def test_expand_errors():
    with pytest.raises(ShapeError, match=r"expand.*\(2, 3\).*\(4, 3\)"):
        Tensor(np.zeros((2, 3))).expand(4, 3)
    with pytest.raises(ValueError, match="fewer dims"):
        Tensor(np.zeros((2, 3))).expand(3)
    with pytest.raises(ValueError, match="-1"):
        Tensor(np.zeros(3)).expand(-1, 3)  # -1 may only keep an existing dim


def test_squeeze_and_unsqueeze():
    t = Tensor(np.zeros((1, 3, 1, 2)))
    assert t.squeeze().shape == (3, 2)
    assert t.squeeze(0).shape == (3, 1, 2)
    assert t.squeeze(2).shape == (1, 3, 2)
    assert t.squeeze(-2).shape == (1, 3, 2)
    assert t.squeeze(1).shape == (1, 3, 1, 2)  # a dim of size != 1 is kept, as in PyTorch
    assert Tensor(1.0).squeeze().shape == ()
    assert Tensor([1.0]).squeeze().shape == ()
    v = Tensor([1.0, 2.0])
    assert v.unsqueeze(0).shape == (1, 2)
    assert v.unsqueeze(1).shape == (2, 1)
    assert v.unsqueeze(-1).shape == (2, 1)
    assert v.unsqueeze(-2).shape == (1, 2)
    assert Tensor(1.0).unsqueeze(0).shape == (1,)
    assert Tensor(np.zeros((0, 2))).unsqueeze(1).shape == (0, 1, 2)


@pytest.mark.parametrize(
    "call, op",
    [
        (lambda t: t.squeeze(2), "squeeze"),
        (lambda t: t.unsqueeze(3), "unsqueeze"),
        (lambda t: t.unsqueeze(-4), "unsqueeze"),
        (lambda t: t.transpose(0, 2), "transpose"),
        (lambda t: t.flatten(2), "flatten"),
    ],
    ids=["squeeze", "unsqueeze-past-the-end", "unsqueeze-before-the-start", "transpose",
         "flatten"],
)
def test_a_dim_out_of_range_is_an_index_error_naming_the_op(call, op):
    """PyTorch refuses these; a silent wrap-around (unsqueeze(3) on 2 dims) hid mistakes."""
    with pytest.raises(IndexError, match=rf"{op}: dim -?\d+ is out of range"):
        call(Tensor(np.zeros((2, 1))))


def test_squeeze_of_a_0d_tensor_takes_dim_0_or_minus_1():
    assert Tensor(1.0).squeeze(0).shape == ()
    assert Tensor(1.0).squeeze(-1).shape == ()
    with pytest.raises(IndexError, match="squeeze"):
        Tensor(1.0).squeeze(1)


def test_flatten_start_after_end_is_an_error():
    with pytest.raises(ValueError, match="flatten: start_dim 2 comes after end_dim 0"):
        Tensor(np.zeros((2, 3, 4))).flatten(2, 0)


def test_flatten(x):
    t = Tensor(x)
    assert t.flatten().shape == (24,)
    assert t.flatten(1).shape == (2, 12)
    assert t.flatten(0, 1).shape == (6, 4)
    assert t.flatten(-2, -1).shape == (2, 12)
    assert_array_equal(t.flatten(1).numpy(), x.reshape(2, 12))
    assert Tensor(3.0).flatten().shape == (1,)
    assert Tensor(np.zeros((0, 2, 3))).flatten(1).shape == (0, 6)  # an empty batch
    assert Tensor(np.zeros((2, 0, 3))).flatten(1).shape == (2, 0)
    assert Tensor(np.zeros((0, 2, 3))).flatten().shape == (0,)


def test_shape_ops_on_noncontiguous_tensors(x):
    t = Tensor(x).permute(2, 0, 1)
    expected = np.transpose(x, (2, 0, 1))
    assert_array_equal(t.reshape(4, 6).numpy(), expected.reshape(4, 6))
    assert_array_equal(t.flatten().numpy(), expected.reshape(-1))
    assert_array_equal(t.unsqueeze(1).numpy(), expected[:, None])
    assert_array_equal(t.contiguous().numpy(), expected)


def test_view_ops_share_memory_with_the_source():
    data = np.arange(6, dtype=np.float32)
    t = Tensor(data)
    assert np.shares_memory(t.reshape(2, 3).numpy(), data)
    assert np.shares_memory(t.reshape(2, 3).T.numpy(), data)
    assert np.shares_memory(t[1:4].numpy(), data)


# ----------------------------------------------------------------------------- indexing


INDICES = [
    1,
    -1,
    (0, 2),
    (1, -1, 3),
    slice(None),
    slice(1, 2),
    slice(None, None, 2),
    (slice(None), 1),
    (Ellipsis, 0),
    (0, Ellipsis),
    None,
    (None, 1),
    (slice(None), None, slice(1, 3)),
    slice(5, 5),
    (slice(None), slice(2, 2)),
    [1, 0, 1],
    ([0, 1], [2, 0]),
    (slice(None), [2, 2, 0]),
    np.array([[0, 1], [1, 1]]),
]


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_getitem_like_numpy(index, x):
    expected = x[np.asarray(index) if isinstance(index, list) else index]
    out = Tensor(x)[index]
    assert out.shape == expected.shape
    assert_array_equal(out.numpy(), expected)


def test_getitem_with_boolean_masks(x):
    t = Tensor(x)
    mask = x > 0
    assert_array_equal(t[mask].numpy(), x[mask])
    assert_array_equal(t[Tensor(mask)].numpy(), x[mask])
    assert_array_equal(t[t > 0].numpy(), x[mask])
    rows = np.array([True, False])
    assert_array_equal(t[rows].numpy(), x[rows])
    assert_array_equal(t[:, [True, False, True]].numpy(), x[:, [True, False, True]])
    none = np.zeros(x.shape, dtype=bool)
    assert t[none].shape == (0,)


def test_getitem_with_tensors_as_indices(x):
    t = Tensor(x)
    labels = Tensor([2, 0, 1])
    assert_array_equal(t[0, labels].numpy(), x[0, [2, 0, 1]])
    assert_array_equal(t[Tensor(1)].numpy(), x[1])
    rows, cols = Tensor([0, 1]), Tensor([1, 2])
    assert_array_equal(t[rows, cols].numpy(), x[[0, 1], [1, 2]])
    assert_array_equal(t[:, cols, Tensor(3)].numpy(), x[:, [1, 2], 3])


def test_getitem_with_an_empty_list_or_array(x):
    assert Tensor(x)[[]].shape == (0, 3, 4)
    assert Tensor(x)[np.array([], dtype=np.int64)].shape == (0, 3, 4)


def test_getitem_of_scalars_and_empty_tensors():
    assert Tensor(5.0)[None].shape == (1,)
    assert Tensor(5.0)[...].shape == ()
    assert Tensor(np.zeros((0, 3)))[:, 1].shape == (0,)


def test_getitem_out_of_range_names_the_index_and_shape():
    with pytest.raises(IndexError, match=r"getitem.*5.*\(2, 3\)"):
        Tensor(np.zeros((2, 3)))[5]


# ----------------------------------------------------------------------------- cat, stack, where


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cat_like_numpy(axis, rng):
    parts = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(3)]
    out = cat([Tensor(p) for p in parts], axis=axis)
    assert_array_equal(out.numpy(), np.concatenate(parts, axis=axis))
    assert_array_equal(cat([Tensor(p) for p in parts], dim=axis).numpy(), out.numpy())


def test_cat_with_empty_pieces_and_arrays():
    out = cat([Tensor(np.zeros((0, 2))), Tensor([[1.0, 2.0]]), np.array([[3.0, 4.0]])])
    assert out.shape == (2, 2)
    assert out.dtype == np.float32


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_like_numpy(axis, rng):
    parts = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(4)]
    out = stack([Tensor(p) for p in parts], axis=axis)
    assert_array_equal(out.numpy(), np.stack(parts, axis=axis))
    assert_array_equal(stack(tuple(Tensor(p) for p in parts), dim=axis).numpy(), out.numpy())
    assert stack([Tensor(1.0), Tensor(2.0)]).shape == (2,)


def test_cat_and_stack_errors_name_the_shapes():
    with pytest.raises(ShapeError, match=r"cat.*\(2, 3\).*\(2, 4\)"):
        cat([Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 4)))])
    with pytest.raises(ShapeError, match=r"stack.*\(2,\).*\(3,\)"):
        stack([Tensor(np.zeros(2)), Tensor(np.zeros(3))])
    with pytest.raises(ValueError, match="non-empty"):
        cat([])
    with pytest.raises(ValueError, match="non-empty"):
        stack([])


def test_where_broadcasts_like_numpy(rng):
    condition = rng.standard_normal((2, 3)) > 0
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((3,)).astype(np.float32)
    out = where(Tensor(condition), Tensor(a), Tensor(b))
    assert_array_equal(out.numpy(), np.where(condition, a, b))
    assert out.dtype == np.float32
    assert_array_equal(where(condition, Tensor(a), 0.0).numpy(), np.where(condition, a, 0.0))
    assert where(condition, Tensor(a), 0.0).dtype == np.float32
    assert where(condition, 1.0, Tensor(a, dtype=np.float64)).dtype == np.float64
    ints = Tensor(np.arange(6).reshape(2, 3))
    assert where(condition, ints, 0.5).dtype == np.float32  # as in PyTorch, not float64
    assert where(condition, Tensor(a), ints).dtype == np.float32
    assert_array_equal(where(condition, ints, 0.5).numpy(), np.where(condition, ints.numpy(), 0.5))
    assert where(condition, ints, 0).dtype == np.int64
    assert_array_equal(where(Tensor(a) > 0, 1.0, -1.0).numpy(), np.where(a > 0, 1.0, -1.0))


def test_where_needs_a_boolean_condition():
    with pytest.raises(DTypeError, match="boolean"):
        where(Tensor([1.0, 0.0]), Tensor([1.0, 2.0]), 0.0)


def test_where_shape_mismatch_names_the_op():
    with pytest.raises(ShapeError, match="where"):
        where(Tensor([True, False]), Tensor(np.zeros(3)), 0.0)
