"""Elementwise forward math against NumPy: broadcasting, edge shapes, dtypes."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from tinytorch.tensor import DTypeError, ShapeError, Tensor, addmm

# (shape of a, shape of b): scalars, size-1 dims, empty arrays, rank growth
BROADCAST_SHAPES = [
    ((), ()),
    ((3,), ()),
    ((), (3,)),
    ((2, 3), (3,)),
    ((2, 1), (1, 3)),
    ((4, 1, 3), (2, 1)),
    ((1,), (5,)),
    ((1, 1), ()),
    ((0,), ()),
    ((0, 3), (3,)),
    ((2, 0), (2, 1)),
    ((3, 0, 2), (1, 2)),
]

BINARY = {
    "add": (operator.add, np.add),
    "sub": (operator.sub, np.subtract),
    "mul": (operator.mul, np.multiply),
    "div": (operator.truediv, np.divide),
    "maximum": (lambda a, b: a.maximum(b), np.maximum),
    "minimum": (lambda a, b: a.minimum(b), np.minimum),
}

UNARY = {
    "neg": (lambda t: -t, np.negative),
    "exp": (Tensor.exp, np.exp),
    "log": (Tensor.log, np.log),
    "sqrt": (Tensor.sqrt, np.sqrt),
    "abs": (Tensor.abs, np.abs),
    "sin": (Tensor.sin, np.sin),
    "cos": (Tensor.cos, np.cos),
    "tanh": (Tensor.tanh, np.tanh),
    "sigmoid": (Tensor.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "relu": (Tensor.relu, lambda x: np.maximum(x, 0)),
}

POSITIVE_ONLY = {"log", "sqrt"}


def _values(rng, shape, positive=False):
    x = rng.standard_normal(shape).astype(np.float32)
    return np.abs(x) + 0.1 if positive else x


@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize(("shape_a", "shape_b"), BROADCAST_SHAPES, ids=str)
def test_binary_ops_broadcast_like_numpy(op, shape_a, shape_b, rng):
    ours, theirs = BINARY[op]
    a = _values(rng, shape_a)
    b = _values(rng, shape_b, positive=op == "div")
    out = ours(Tensor(a), Tensor(b))
    expected = theirs(a, b)
    assert out.shape == expected.shape
    assert out.dtype == np.float32
    assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("op", list(BINARY))
def test_binary_ops_on_noncontiguous_views(op, rng, noncontig):
    ours, theirs = BINARY[op]
    a = noncontig(_values(rng, (3, 4)))
    b = noncontig(_values(rng, (4,), positive=True))
    assert not a.flags.c_contiguous
    assert_allclose(ours(Tensor(a), Tensor(b)).numpy(), theirs(a, b), rtol=1e-6)
    transposed = Tensor(_values(rng, (4, 3))).T  # a tensor view, not just an array view
    assert_allclose(ours(transposed, Tensor(b)).numpy(), theirs(transposed.numpy(), b), rtol=1e-6)


@pytest.mark.parametrize("op", list(UNARY))
@pytest.mark.parametrize("shape", [(), (1,), (3,), (2, 1, 3), (0,), (2, 0)], ids=str)
def test_unary_ops_like_numpy(op, shape, rng):
    ours, theirs = UNARY[op]
    x = _values(rng, shape, positive=op in POSITIVE_ONLY)
    out = ours(Tensor(x))
    assert out.shape == x.shape
    assert out.dtype == np.float32
    assert_allclose(out.numpy(), theirs(x.astype(np.float64)), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("op", list(UNARY))
def test_unary_ops_on_noncontiguous_views(op, rng, noncontig):
    ours, theirs = UNARY[op]
    x = noncontig(_values(rng, (3, 4), positive=op in POSITIVE_ONLY))
    assert_allclose(ours(Tensor(x)).numpy(), theirs(x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtype_is_kept_by_unary_ops(dtype):
    x = Tensor([0.5, 1.5], dtype=dtype)
    for name, (ours, _) in UNARY.items():
        assert ours(x).dtype == dtype, name


def test_sigmoid_is_finite_for_huge_inputs():
    out = Tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0]).sigmoid().numpy()
    assert np.all(np.isfinite(out))
    expected = [0.0, 1 / (1 + np.exp(50.0)), 0.5, 1 / (1 + np.exp(-50.0)), 1.0]
    assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_never_overflows(dtype):
    """The naive 1 / (1 + e^-x) overflows e^-x for x << 0 (and hides it behind a warning)."""
    x = Tensor([-1000.0, -100.0, -20.0, 0.0, 20.0, 100.0, 1000.0], dtype=dtype)
    with np.errstate(over="raise"):
        out = x.sigmoid().numpy()
    assert out.dtype == dtype and out[3] == 0.5
    assert_allclose(out[[0, -1]], [0.0, 1.0])


def test_integer_math_gives_float32():
    ints = Tensor([1, 4, 9])
    float_math = (Tensor.exp, Tensor.log, Tensor.sqrt, Tensor.sin, Tensor.cos, Tensor.tanh)
    for fn in (*float_math, Tensor.sigmoid, Tensor.softmax):
        assert fn(ints).dtype == np.float32
    assert_allclose(ints.sqrt().numpy(), [1.0, 2.0, 3.0])
    assert ints.abs().dtype == np.int64
    assert (-ints).dtype == np.int64
    assert ints.relu().dtype == np.int64


# ----------------------------------------------------------------------------- arithmetic forms


def test_arithmetic_with_python_scalars_and_reflected_forms():
    x = Tensor([1.0, 2.0, 4.0])
    a = np.array([1.0, 2.0, 4.0], dtype=np.float32)
    cases = [
        (x + 2, a + 2),
        (2 + x, 2 + a),
        (x - 2, a - 2),
        (2 - x, 2 - a),
        (x * 3, a * 3),
        (3 * x, 3 * a),
        (x / 2, a / 2),
        (2 / x, 2 / a),
        (x**2, a**2),
        (2**x, 2**a),
        (-x, -a),
        (+x, a),
    ]
    for out, expected in cases:
        assert isinstance(out, Tensor)
        assert out.dtype == np.float32
        assert_allclose(out.numpy(), expected, rtol=1e-6)


def test_arithmetic_with_numpy_arrays_on_either_side():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    arr = np.array([10.0, 20.0])  # float64: becomes float32 like any float data
    for out, expected in [
        (x + arr, x.numpy() + arr),
        (arr + x, arr + x.numpy()),
        (x - arr, x.numpy() - arr),
        (arr - x, arr - x.numpy()),
        (x * arr, x.numpy() * arr),
        (arr * x, arr * x.numpy()),
        (x / arr, x.numpy() / arr),
        (arr / x, arr / x.numpy()),
    ]:
        assert isinstance(out, Tensor)
        assert out.dtype == np.float32
        assert_allclose(out.numpy(), expected, rtol=1e-6)
    assert isinstance(np.float64(2.0) * x, Tensor)


@pytest.mark.parametrize("exponent", [0, 1, 2, 3, 0.5, -1, 1.7, -2.5])
def test_pow_like_numpy(exponent, rng):
    x = _values(rng, (2, 3), positive=True)
    out = Tensor(x) ** exponent
    assert out.dtype == np.float32
    assert_allclose(out.numpy(), np.power(x.astype(np.float64), exponent), rtol=1e-5)
    assert_allclose(Tensor(x).pow(exponent).numpy(), out.numpy())


def test_pow_with_tensor_exponent_and_tensor_base():
    base = Tensor([1.0, 2.0, 3.0])
    exponent = Tensor([2.0, 0.5, -1.0])
    assert_allclose((base**exponent).numpy(), [1.0, 2.0**0.5, 1 / 3], rtol=1e-6)
    assert_allclose((2.0**exponent).numpy(), 2.0 ** np.array([2.0, 0.5, -1.0]), rtol=1e-6)


def test_pow_of_integer_tensor():
    ints = Tensor([1, 2, 3])
    assert (ints**2).dtype == np.int64
    assert_array_equal((ints**2).numpy(), [1, 4, 9])
    assert_array_equal((ints**3).numpy(), [1, 8, 27])
    with pytest.raises(ValueError, match="integers to negative integer powers are not allowed"):
        ints**-1  # as in PyTorch
    assert (ints**0.5).dtype == np.float32
    assert_allclose((ints**0.5).numpy(), np.sqrt([1, 2, 3]), rtol=1e-6)
    assert (ints ** Tensor([2, 0, 1])).tolist() == [1, 1, 3]
    assert (Tensor([True, False]) ** 2).dtype == np.int64


def test_pow_does_not_alias_its_input():
    x = Tensor([1.0, 2.0])
    y = x**1
    y.numpy()[0] = 100.0
    assert x.numpy()[0] == 1.0


def test_clip_and_clamp():
    x = Tensor([-2.0, -0.5, 0.5, 2.0])
    assert_allclose(x.clip(-1, 1).numpy(), [-1.0, -0.5, 0.5, 1.0])
    assert_allclose(x.clamp(min=0).numpy(), [0.0, 0.0, 0.5, 2.0])
    assert_allclose(x.clip(max=0).numpy(), [-2.0, -0.5, 0.0, 0.0])
    assert x.clip(-1, 1).dtype == np.float32
    assert Tensor([1, 5]).clip(0, 3).dtype == np.int64
    with pytest.raises(ValueError, match="min and max"):
        x.clip()


def test_a_float_bound_clips_an_integer_tensor_in_float32():
    ints = Tensor([1, 2, 3])
    clipped = ints.clip(0.5, 1.5)  # not [1, 1, 1]: the bounds are not truncated to ints
    assert clipped.dtype == np.float32
    assert_allclose(clipped.numpy(), [1.0, 1.5, 1.5])
    assert_allclose(ints.clamp(max=2.5).numpy(), [1.0, 2.0, 2.5])
    assert Tensor([True, False]).clip(min=0.25).dtype == np.float32



# ----------------------------------------------------------------------------- comparisons


COMPARISONS = [operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge]


@pytest.mark.parametrize("compare", COMPARISONS, ids=lambda f: f.__name__)
def test_comparisons_are_boolean_and_broadcast(compare):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=np.float32)
    b = np.array([2.0, 2.0, 2.0], dtype=np.float32)
    out = compare(Tensor(a), Tensor(b))
    assert out.dtype == np.bool_
    assert_array_equal(out.numpy(), compare(a, b))
    scalar = compare(Tensor(a), 2)
    assert scalar.dtype == np.bool_
    assert_array_equal(scalar.numpy(), compare(a, 2))
    reflected = compare(b, Tensor(a))  # ndarray on the left defers to the Tensor
    assert isinstance(reflected, Tensor)
    assert_array_equal(reflected.numpy(), compare(b, a))


def test_comparison_of_empty_tensors():
    out = Tensor(np.zeros((0, 2))) < Tensor([1.0, 1.0])
    assert out.shape == (0, 2)
    assert out.dtype == np.bool_


# ----------------------------------------------------------------------------- matmul


@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [
        ((3,), (3,)),
        ((3,), (3, 4)),
        ((2, 3), (3,)),
        ((2, 3), (3, 4)),
        ((5, 2, 3), (3, 4)),
        ((2, 3), (5, 3, 4)),
        ((5, 2, 3), (5, 3, 4)),
        ((5, 1, 2, 3), (4, 3, 2)),
        ((3,), (5, 3, 4)),
        ((5, 2, 3), (3,)),
        ((0, 3), (3, 4)),
        ((2, 0), (0, 4)),
        ((1, 1), (1, 1)),
    ],
    ids=str,
)
def test_matmul_like_numpy(shape_a, shape_b, rng):
    a = _values(rng, shape_a)
    b = _values(rng, shape_b)
    out = Tensor(a) @ Tensor(b)
    expected = a @ b
    assert out.shape == expected.shape
    assert out.dtype == np.float32
    assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert_allclose(Tensor(a).matmul(Tensor(b)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_matmul_with_numpy_operands_and_views(rng, noncontig):
    a = _values(rng, (2, 3))
    b = noncontig(_values(rng, (3, 4)))
    assert_allclose((Tensor(a) @ b).numpy(), a @ b, rtol=1e-5)
    left = a @ Tensor(b)
    assert isinstance(left, Tensor)
    assert_allclose(left.numpy(), a @ b, rtol=1e-5)
    assert_allclose((Tensor(b).T @ Tensor(a).T).numpy(), b.T @ a.T, rtol=1e-5)


def test_matmul_shape_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(ShapeError) as info:
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 5)))
    message = str(info.value)
    assert "matmul" in message and "(2, 3)" in message and "(4, 5)" in message


def test_matmul_of_a_scalar_is_an_error_naming_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(\).*\(3,\)"):
        Tensor(2.0) @ Tensor([1.0, 2.0, 3.0])


# ----------------------------------------------------------------------------- addmm


@pytest.mark.parametrize("bias_shape", [(4,), (2, 1), (2, 4), (), (1, 4)], ids=str)
@pytest.mark.parametrize(("beta", "alpha"), [(1, 1), (0.5, -2.0), (2, 1)])
def test_addmm_like_numpy(bias_shape, beta, alpha, rng):
    bias, a, b = (_values(rng, s) for s in (bias_shape, (2, 3), (3, 4)))
    out = Tensor(bias).addmm(Tensor(a), Tensor(b), beta=beta, alpha=alpha)
    expected = beta * bias + alpha * (a @ b)
    assert out.shape == (2, 4) and out.dtype == np.float32
    assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    assert_allclose(
        addmm(bias, a, b, beta=beta, alpha=alpha).numpy(), expected, rtol=1e-5, atol=1e-6
    )


def test_addmm_with_a_python_number_bias_keeps_the_matrices_dtype(rng):
    a, b = (Tensor(_values(rng, s), dtype=np.float64) for s in ((2, 3), (3, 4)))
    out = addmm(0.5, a, b)
    assert out.dtype == np.float64
    assert_allclose(out.numpy(), 0.5 + a.numpy() @ b.numpy())


def test_addmm_leaves_its_inputs_unchanged(rng):
    bias, a, b = (_values(rng, s) for s in ((2, 4), (2, 3), (3, 4)))
    copies = [bias.copy(), a.copy(), b.copy()]
    Tensor(bias).addmm(Tensor(a), Tensor(b), alpha=3.0)
    for before, after in zip(copies, (bias, a, b), strict=True):
        assert_array_equal(before, after)


def test_addmm_with_beta_zero_ignores_nan_in_the_bias(rng):
    a, b = _values(rng, (2, 3)), _values(rng, (3, 4))
    out = Tensor(np.full(4, np.nan, np.float32)).addmm(Tensor(a), Tensor(b), beta=0)
    assert_allclose(out.numpy(), a @ b, rtol=1e-5)


def test_addmm_errors_name_the_op_and_the_shapes():
    bias, a = Tensor(np.ones(4)), Tensor(np.ones((2, 3)))
    with pytest.raises(
        ShapeError, match=r"addmm: mat1 of shape \(2, 3\) and mat2 of shape \(5, 4\)"
    ):
        bias.addmm(a, Tensor(np.ones((5, 4))))
    with pytest.raises(ShapeError, match=r"addmm: the bias of shape \(3,\).*\(2, 4\)"):
        Tensor(np.ones(3)).addmm(a, Tensor(np.ones((3, 4))))
    with pytest.raises(ValueError, match=r"addmm: mat1 and mat2 must be matrices.*\(3,\)"):
        bias.addmm(Tensor(np.ones(3)), Tensor(np.ones((3, 4))))
    with pytest.raises(DTypeError, match="addmm.*float32.*float64"):
        bias.addmm(a, Tensor(np.ones((3, 4)), dtype=np.float64))
    with pytest.raises(DTypeError, match="addmm.*float64.*float32"):
        Tensor(np.ones(4), dtype=np.float64).addmm(a, Tensor(np.ones((3, 4))))
    ints = [Tensor(np.ones(s, dtype=np.int64)) for s in ((4,), (2, 3), (3, 4))]
    assert_array_equal(ints[0].addmm(ints[1], ints[2]).numpy(), np.full((2, 4), 4))
    with pytest.raises(DTypeError, match="addmm: unsupported dtypes int64 and int64 and int64"):
        ints[0].addmm(ints[1], ints[2], alpha=0.5)


def test_broadcast_mismatch_names_the_op_and_both_shapes():
    for op, name in [(operator.add, "add"), (operator.mul, "mul"), (operator.lt, "lt")]:
        with pytest.raises(ShapeError) as info:
            op(Tensor(np.ones((2, 3))), Tensor(np.ones((4,))))
        message = str(info.value)
        assert name in message and "(2, 3)" in message and "(4,)" in message
