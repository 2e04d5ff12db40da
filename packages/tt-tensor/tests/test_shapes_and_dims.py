"""The shape rules of ``tinytorch.tensor.shapes``, on plain tuples, and the methods built on them.

Each test names the mistake it is there to catch: broadcasting aligned from the
left, a negative dim not counted from the end, reshape's -1 worked out wrongly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal
from tinytorch.tensor import ShapeError, Tensor, broadcast_shapes, cat, stack
from tinytorch.tensor.shapes import dim_index, expand_shape, infer_shape, reduction_dims

# ----------------------------------------------------------------------------- dim_index


@pytest.mark.parametrize(
    "dim, ndim, expected",
    [(0, 3, 0), (2, 3, 2), (-1, 3, 2), (-3, 3, 0), (-2, 3, 1), (0, 1, 0), (-1, 1, 0)],
)
def test_dim_index_counts_negative_dims_from_the_end(dim, ndim, expected):
    assert dim_index("op", dim, ndim) == expected


@pytest.mark.parametrize("dim, ndim", [(3, 3), (-4, 3), (1, 1), (-2, 1), (5, 2)])
def test_dim_index_refuses_dims_out_of_range_naming_the_op_and_the_range(dim, ndim):
    with pytest.raises(IndexError) as info:
        dim_index("myop", dim, ndim)
    message = str(info.value)
    assert message.startswith(f"myop: dim {dim} is out of range")
    assert f"from {-ndim} to {ndim - 1}" in message


# ----------------------------------------------------------------------------- reduction_dims


@pytest.mark.parametrize(
    "dim, ndim, expected",
    [
        (None, 3, None),
        ((), 3, None),
        ([], 3, None),
        (1, 3, 1),
        (-1, 3, 2),
        ((0, -1), 3, (0, 2)),
        ([2, 0], 3, (2, 0)),  # the order given, as a tuple
        ((-1,), 2, (1,)),  # a 1-tuple stays a tuple
        (np.int64(-2), 2, 0),
        (0, 0, None),  # a 0-d tensor: dim 0 and -1 mean "nothing to reduce"
        (-1, 0, None),
        ((0,), 0, None),
    ],
)
def test_reduction_dims(dim, ndim, expected):
    got = reduction_dims("sum", dim, ndim)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("dim, ndim", [(3, 3), (-4, 3), ((0, 3), 3), ((0, -4), 3), (1, 0), (-2, 0)])
def test_reduction_dims_checks_every_entry(dim, ndim):
    with pytest.raises(IndexError, match="sum: dim -?\\d is out of range"):
        reduction_dims("sum", dim, ndim)


@pytest.mark.parametrize("dim", [(1, 1), (0, -2), [1, -1]])
def test_reduction_dims_refuses_a_dim_named_twice(dim):
    with pytest.raises(ValueError, match="amax: .*more than once"):
        reduction_dims("amax", dim, 2)


def test_reduction_dims_wants_ints():
    with pytest.raises(TypeError, match="sum: expected dim to be an int"):
        reduction_dims("sum", 1.0, 2)


# ----------------------------------------------------------------------------- broadcast_shapes


@pytest.mark.parametrize(
    "shapes, expected",
    [
        (((2, 1, 4), (3, 1)), (2, 3, 4)),
        (((3,), (2, 3)), (2, 3)),  # aligned from the right: (3,) is a row
        (((2, 3), (3,)), (2, 3)),
        (((4, 1), (3,)), (4, 3)),
        (((1,), (5,)), (5,)),
        (((5,), (1,)), (5,)),
        (((), (2, 3)), (2, 3)),
        (((2, 3), ()), (2, 3)),
        (((0,), (1,)), (0,)),
        (((1,), (0,)), (0,)),
        (((2, 1), (1, 3), (4, 1, 1)), (4, 2, 3)),
        (((7, 1), (1, 1)), (7, 1)),
        (((3, 4),), (3, 4)),
        ((), ()),
    ],
)
def test_broadcast_shapes(shapes, expected):
    assert broadcast_shapes(*shapes) == expected


@pytest.mark.parametrize(
    "shapes",
    [((3,), (4,)), ((2, 3), (2,)), ((2, 1), (8, 4, 3)), ((2, 3), (3, 3), (2, 1)), ((0,), (2,))],
)
def test_shapes_that_do_not_broadcast_are_named(shapes):
    with pytest.raises(ShapeError, match="cannot be broadcast") as info:
        broadcast_shapes(*shapes)
    for shape in shapes:
        assert str(shape) in str(info.value)


@settings(max_examples=100, deadline=None)
@given(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, min_side=0))
def test_broadcast_shapes_agrees_with_numpy(case):
    assert broadcast_shapes(*case.input_shapes) == case.result_shape


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), min_size=2, max_size=3
    )
)
def test_broadcast_shapes_fails_exactly_when_numpy_does(shapes):
    try:
        expected = np.broadcast_shapes(*shapes)
    except ValueError:
        with pytest.raises(ShapeError):
            broadcast_shapes(*shapes)
    else:
        assert broadcast_shapes(*shapes) == expected


def test_masked_fill_uses_the_broadcast_rules():
    x = Tensor(np.zeros((2, 3)))
    assert_array_equal(
        x.masked_fill(Tensor([True, False, True]), 1.0).numpy(), [[1, 0, 1], [1, 0, 1]]
    )
    with pytest.raises(ShapeError, match=r"masked_fill: a mask of shape \(2,\)") as caught:
        x.masked_fill(Tensor([True, False]), 1.0)  # (2,) is a row of 2, not a column
    message = str(caught.value)
    assert message.count("(2,)") == 1 and message.count("(2, 3)") == 1  # each shape once
    assert caught.value.__cause__ is None and caught.value.__context__ is None  # one error
    in_place = r"masked_fill_: a mask of shape \(2, 1, 3\) broadcasts the tensor's shape \(2, 3\)"
    with pytest.raises(ShapeError, match=in_place):
        x.masked_fill_(Tensor(np.ones((2, 1, 3), dtype=bool)), 1.0)


# ----------------------------------------------------------------------------- infer_shape


@pytest.mark.parametrize(
    "shape, target, expected",
    [
        ((2, 3, 4), (4, -1), (4, 6)),
        ((2, 3, 4), (-1, 4), (6, 4)),
        ((2, 3, 4), (-1,), (24,)),
        ((2, 3, 4), (2, -1, 2), (2, 6, 2)),
        ((6,), (3, 2), (3, 2)),
        ((), (1, -1), (1, 1)),
        ((), (), ()),
        ((1,), (), ()),
        ((0, 3), (3, 0), (3, 0)),
        ((0, 3), (-1, 3), (0, 3)),
    ],
)
def test_infer_shape(shape, target, expected):
    assert infer_shape(shape, target) == expected


@pytest.mark.parametrize(
    "shape, target, words",
    [
        ((2, 3), (4, 2), "6"),
        ((2, 3), (-1, -1), "only one dim can be -1"),
        ((2, 3), (-1, 4), "reshape"),  # 6 does not split into rows of 4
        ((2, 3), (6, -2), "sizes must be >= 0"),
        ((2, 3), (-2, -3), "sizes must be >= 0"),
        ((2, 3), (-3, -1), "sizes must be >= 0"),
        ((0, 3), (0, -1), "ambiguous"),
        ((2, 3), (7,), "reshape"),
        ((2, 3), (1, 6, 1, 2), "reshape"),
    ],
)
def test_infer_shape_refuses_what_cannot_be(shape, target, words):
    with pytest.raises(ShapeError, match=words) as info:
        infer_shape(shape, target)
    message = str(info.value)
    size = int(np.prod(shape))
    assert message.startswith(f"reshape: cannot turn shape {shape} (size {size}) into {target}: ")


def test_reshape_infers_minus_one_and_keeps_the_order_of_elements():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    assert_array_equal(Tensor(x).reshape(4, -1).numpy(), x.reshape(4, 6))
    assert_array_equal(Tensor(x).reshape(-1).numpy(), x.ravel())
    assert_array_equal(Tensor(x).view(-1, 2, 3).numpy(), x.reshape(4, 2, 3))
    with pytest.raises(ShapeError, match="only one dim can be -1"):
        Tensor(x).reshape(-1, -1, 2)


# ----------------------------------------------------------------------------- expand_shape


@pytest.mark.parametrize(
    "shape, target, expected",
    [
        ((3, 1), (2, -1, 4), (2, 3, 4)),
        ((3, 1), (3, 5), (3, 5)),
        ((1, 3), (4, 3), (4, 3)),
        ((1, 3), (-1, 3), (1, 3)),
        ((1, 3), (2, 5, -1), (2, 5, 3)),  # new leading dims of any size
        ((1, 3), (2, 0, 3), (2, 0, 3)),
        ((), (2, 2), (2, 2)),
        ((2,), (2,), (2,)),
        ((1,), (0,), (0,)),
    ],
)
def test_expand_shape(shape, target, expected):
    assert expand_shape(shape, target) == expected


@pytest.mark.parametrize(
    "shape, target, words",
    [
        ((2, 3), (4, 3), "expand"),  # a dim of size 2 cannot become 4
        ((2, 3), (2, 1), "expand"),  # nor shrink to 1
        ((3,), (3, 3, 2), "expand"),  # aligned from the right: 3 against 2
        ((2, 3), (3,), "fewer dims"),
        ((3,), (-1, 3), "-1 is not allowed"),
        ((3,), (2, -1, 3), "-1 is not allowed"),
    ],
)
def test_expand_shape_refuses_what_cannot_be(shape, target, words):
    with pytest.raises(ShapeError, match=words) as info:
        expand_shape(shape, target)
    message = str(info.value)
    assert message.startswith("expand:") and str(shape) in message and str(target) in message


def test_expand_of_a_column_stretches_it_across_the_row():
    column = Tensor([[1.0], [2.0]])
    assert_array_equal(column.expand(2, 3).numpy(), [[1, 1, 1], [2, 2, 2]])
    assert_array_equal(column.expand(4, -1, 2).numpy(), np.broadcast_to([[1.0], [2.0]], (4, 2, 2)))


@pytest.mark.parametrize(
    "call, op",
    [
        (lambda t: t.sum(axis=0, dim=1), "sum"),
        (lambda t: t.mean(axis=[0], dim=1), "mean"),
        (lambda t: cat([t, t], 0, dim=1), "cat"),
        (lambda t: stack([t, t], 0, dim=1), "stack"),
    ],
    ids=["sum", "mean", "cat", "stack"],
)
def test_axis_and_dim_both_given_is_a_type_error_naming_the_op_and_both(call, op):
    with pytest.raises(TypeError) as caught:
        call(Tensor(np.ones((2, 3))))
    message = str(caught.value)
    assert message.startswith(f"{op}: give either axis or dim, not both"), message
    assert "dim=1" in message and "axis=" in message
