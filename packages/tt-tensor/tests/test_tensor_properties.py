"""Hypothesis properties: broadcasting and shape ops agree with NumPy for random shapes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal
from tinytorch.tensor import Tensor, cat

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)  # deterministic

FLOATS = st.floats(-100, 100, width=32)


def _arrays(shape):
    return hnp.arrays(np.float32, shape, elements=FLOATS)


@st.composite
def broadcastable_pairs(draw):
    """Two float32 arrays whose shapes broadcast together (size-0 and size-1 dims included)."""
    shapes = draw(
        hnp.mutually_broadcastable_shapes(
            num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=4
        )
    )
    a_shape, b_shape = shapes.input_shapes
    return draw(_arrays(a_shape)), draw(_arrays(b_shape))


@SETTINGS
@given(broadcastable_pairs())
def test_add_mul_sub_broadcast_like_numpy(pair):
    a, b = pair
    pairs = [(Tensor.__add__, np.add), (Tensor.__mul__, np.multiply), (Tensor.__sub__, np.subtract)]
    for ours, theirs in pairs:
        out = ours(Tensor(a), Tensor(b))
        expected = theirs(a, b)
        assert out.shape == expected.shape
        assert out.dtype == np.float32
        assert_array_equal(out.numpy(), expected)


@SETTINGS
@given(broadcastable_pairs())
def test_maximum_and_comparisons_broadcast_like_numpy(pair):
    a, b = pair
    assert_array_equal(Tensor(a).maximum(Tensor(b)).numpy(), np.maximum(a, b))
    assert_array_equal((Tensor(a) < Tensor(b)).numpy(), a < b)


@SETTINGS
@given(broadcastable_pairs())
def test_reflected_ops_with_arrays_match_forward_ops(pair):
    a, b = pair
    assert_array_equal((a + Tensor(b)).numpy(), (Tensor(a) + Tensor(b)).numpy())
    assert_array_equal((a * Tensor(b)).numpy(), (Tensor(a) * Tensor(b)).numpy())


@st.composite
def array_and_permutation(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4))
    dims = draw(st.permutations(range(len(shape))))
    return draw(_arrays(shape)), tuple(dims)


@SETTINGS
@given(array_and_permutation())
def test_permute_matches_numpy_and_inverts(case):
    x, dims = case
    t = Tensor(x).permute(dims)
    assert_array_equal(t.numpy(), np.transpose(x, dims))
    inverse = tuple(int(i) for i in np.argsort(dims))
    assert_array_equal(t.permute(inverse).numpy(), x)


@st.composite
def array_and_new_shape(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4))
    size = int(np.prod(shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0]
    dims = draw(st.lists(st.sampled_from(divisors), max_size=3))
    rest = size
    new_shape = []
    for d in dims:
        if rest % d == 0:
            new_shape.append(d)
            rest //= d
    new_shape.append(rest)
    return draw(_arrays(shape)), tuple(new_shape)


@SETTINGS
@given(array_and_new_shape())
def test_reshape_round_trips(case):
    x, new_shape = case
    t = Tensor(x).reshape(new_shape)
    assert t.shape == new_shape
    assert_array_equal(t.numpy(), x.reshape(new_shape))
    assert_array_equal(t.reshape(x.shape).numpy(), x)
    assert_array_equal(Tensor(x).reshape(-1).numpy(), x.reshape(-1))
    assert_array_equal(Tensor(x).flatten().numpy(), x.reshape(-1))


@SETTINGS
@given(_arrays(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=3)), st.data())
def test_unsqueeze_then_squeeze_round_trips(x, data):
    dim = data.draw(st.integers(-x.ndim - 1, x.ndim))
    t = Tensor(x).unsqueeze(dim)
    assert_array_equal(t.numpy(), np.expand_dims(x, dim))
    assert_array_equal(t.squeeze(dim).numpy(), x)


@SETTINGS
@given(broadcastable_pairs())
def test_expand_matches_broadcast_to(pair):
    a, b = pair
    target = np.broadcast_shapes(a.shape, b.shape)
    assert_array_equal(Tensor(a).expand(target).numpy(), np.broadcast_to(a, target))


@SETTINGS
@given(_arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)), st.data())
def test_sum_over_any_axes_like_numpy(x, data):
    """As NumPy, except that an empty dim tuple reduces every dim, as PyTorch's does."""
    axes = data.draw(st.lists(st.integers(0, x.ndim - 1), unique=True, max_size=x.ndim))
    keepdims = data.draw(st.booleans())
    out = Tensor(x).sum(dim=tuple(axes), keepdim=keepdims)
    expected = x.sum(axis=tuple(axes) or None, keepdims=keepdims)  # dim=() is every dim
    assert out.shape == expected.shape
    assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-3)


@SETTINGS
@given(_arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)), st.data())
def test_split_by_slices_then_cat_round_trips(x, data):
    axis = data.draw(st.integers(0, x.ndim - 1))
    cut = data.draw(st.integers(0, x.shape[axis]))
    t = Tensor(x)
    index = [slice(None)] * x.ndim
    left = t[tuple(index[:axis] + [slice(None, cut)])]
    right = t[tuple(index[:axis] + [slice(cut, None)])]
    assert_array_equal(cat([left, right], dim=axis).numpy(), x)
