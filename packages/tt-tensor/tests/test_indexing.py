"""``x[index]``: ``normalize_index`` and the getitem/setitem ops that receive its result.

The mistakes these catch: an int not counted from the end, the dim an int
indexes miscounted after None, an Ellipsis or a mask, an Ellipsis expanded to
the wrong number of dims, a mask checked against the wrong dims.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal
from tinytorch.tensor import Tensor
from tinytorch.tensor.indexing import normalize_index

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b and type(a) is type(b)


@pytest.mark.parametrize(
    "index, expected",
    [
        (1, (1,)),
        (-1, (1,)),  # dim 0 has size 2
        (-2, (0,)),
        ((0, -1), (0, 2)),  # dim 1 has size 3
        ((0, -1, -1), (0, 2, 3)),
        ((slice(None), -3), (slice(None), 0)),
        ((None, -1), (None, 1)),  # None uses no dim: -1 indexes dim 0
        ((None, 0, None, -1), (None, 0, None, 2)),
        ((..., -1), (slice(None), slice(None), 3)),  # after the Ellipsis: the last dim
        ((-1, ...), (1, slice(None), slice(None))),
        ((0, ..., -2), (0, slice(None), 2)),
        ((0, -1, ..., -1), (0, 2, 3)),  # the Ellipsis stands for no dim
        ((..., None), (slice(None), slice(None), slice(None), None)),
        (..., (slice(None), slice(None), slice(None))),
        ((slice(1, None, -1), 2), (slice(1, None, -1), 2)),
        (np.int64(-1), (1,)),
        ((np.zeros((2, 3), dtype=bool), -1), (np.zeros((2, 3), dtype=bool), 3)),  # mask: 2 dims
        ((slice(None), np.ones(3, dtype=bool), -4), (slice(None), np.ones(3, dtype=bool), 0)),
    ],
    ids=repr,
)
def test_normalize_index(index, expected):
    got = normalize_index(index, X.shape)
    assert isinstance(got, tuple) and len(got) == len(expected)
    assert all(_same(a, b) for a, b in zip(got, expected, strict=True)), got
    assert_array_equal(X[got], X[index])


def test_normalize_index_replaces_tensors_and_lists_by_arrays():
    got = normalize_index((Tensor([1, 0]), [2, 2], Tensor(1)), X.shape)
    assert all(isinstance(entry, np.ndarray) for entry in got)
    assert_array_equal(got[0], [1, 0])
    assert_array_equal(got[1], [2, 2])
    empty = normalize_index([], X.shape)[0]
    assert empty.dtype == np.int64 and empty.shape == (0,)
    mask = normalize_index(Tensor(X > 5), X.shape)[0]
    assert mask.dtype == np.bool_ and mask.shape == X.shape


@pytest.mark.parametrize(
    "index, words",
    [
        (2, r"index 2 is out of range for dim 0 of size 2"),
        (-3, r"index -3 is out of range for dim 0 of size 2"),
        ((0, 3), r"index 3 is out of range for dim 1 of size 3"),
        ((0, -4), r"index -4 is out of range for dim 1 of size 3"),
        ((None, 2), r"index 2 is out of range for dim 0 of size 2"),
        ((..., 4), r"index 4 is out of range for dim 2 of size 4"),
        ((..., -5), r"index -5 is out of range for dim 2 of size 4"),
        ((0, ..., 1, 4), r"index 4 is out of range for dim 2 of size 4"),
        ((np.ones((2, 3), dtype=bool), 4), r"index 4 is out of range for dim 2 of size 4"),
        ((0, 0, 0, 0), "too many indices"),
        ((0, None, 0, 0, 0), "too many indices"),
        ((np.ones((2, 3), dtype=bool), 0, 0), "too many indices"),
        ((..., 0, ...), "only one Ellipsis"),
        (np.ones(3, dtype=bool), r"mask of shape \(3,\) does not match"),
        ((0, np.ones(4, dtype=bool)), r"mask of shape \(4,\) does not match"),
        ((slice(None), np.ones((3, 3), dtype=bool)), r"mask of shape \(3, 3\) does not match"),
        ((..., np.ones(3, dtype=bool)), r"mask of shape \(3,\) does not match"),
    ],
    ids=repr,
)
def test_bad_indices_say_what_is_wrong_and_name_the_shape(index, words):
    with pytest.raises(IndexError, match=words) as info:
        Tensor(X)[index]
    message = str(info.value)
    assert message.startswith("getitem:") and "(2, 3, 4)" in message


def test_setitem_checks_its_index_and_says_setitem():
    x = Tensor(np.zeros((2, 3)))
    x[-1, -1] = 5.0
    assert x.numpy()[1, 2] == 5.0
    x[..., -3] = 1.0
    assert_array_equal(x.numpy()[:, 0], [1.0, 1.0])
    with pytest.raises(IndexError, match=r"setitem: index 3 is out of range for dim 1 of size 3"):
        x[0, 3] = 1.0


def test_getitem_like_pytorch():
    torch = pytest.importorskip("torch")
    t = torch.arange(24.0).reshape(2, 3, 4)
    for index in [
        (-1,),
        (0, -1),
        (..., -1),
        (None, -1, ..., 1),
        (slice(None, None, 2), 1),
        (1, slice(None), slice(-3, None, 2)),
        (..., None, -2),
    ]:
        assert_array_equal(Tensor(X)[index].numpy(), t[index].numpy())


_ENTRIES = st.one_of(
    st.integers(-4, 3),
    st.none(),
    st.just(Ellipsis),
    st.builds(
        slice,
        st.none() | st.integers(-5, 5),
        st.none() | st.integers(-5, 5),
        st.none() | st.sampled_from([-2, -1, 1, 2, 3]),
    ),
)


@settings(max_examples=100, deadline=None)
@given(
    hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=4), st.lists(_ENTRIES, max_size=5)
)
def test_basic_indexing_agrees_with_numpy(shape, entries):
    """Ints, slices (negative steps too), None and one Ellipsis, against NumPy."""
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    index = tuple(entries)
    try:
        expected = x[index]
    except IndexError:
        with pytest.raises(IndexError, match="getitem"):
            Tensor(x)[index]
        return
    got = Tensor(x)[index]
    assert got.shape == expected.shape
    assert_array_equal(got.numpy(), expected)
