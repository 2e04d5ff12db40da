"""The contracts of the functions a student writes that other tests reach only in passing.

The dispatcher's kernel step, a tensor's dtype at construction, ``**``'s dtypes,
the params a reduction hands its op, and permute/squeeze/unsqueeze; each test
names the mistake it is there to catch.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from tinytorch.tensor import DTypeError, ShapeError, Tensor, dispatch, ops, promote_types


class RecordingLayer:
    """A stand-in autograd layer that keeps every ``record`` call."""

    def __init__(self):
        self.calls = []

    def record(self, op_name, inputs, params, output):
        self.calls.append((op_name, inputs, params, output))

    def check_inplace(self, tensor, operands):
        return False


@pytest.fixture
def layer(install_layer):
    return install_layer(RecordingLayer())


# ----------------------------------------------------------------------------- the dispatcher


def test_the_kernel_gets_arrays_positionally_and_params_by_keyword(monkeypatch):
    seen = []

    def kernel(*arrays, **params):
        seen.append((arrays, params))
        return arrays[0] + 1

    for name, arity in (("neg", 1), ("add", 2), ("where", 3)):
        monkeypatch.setitem(ops.OP_TABLE, name, ops.OpDef(name, kernel, arity, ("k",)))
    a, b, c = Tensor([1.0]), Tensor([2.0]), Tensor([3.0])
    for inputs in ((a,), (a, b), (a, b, c)):
        seen.clear()
        out = dispatch.apply(("neg", "add", "where")[len(inputs) - 1], *inputs, k=7)
        ((arrays, params),) = seen
        assert len(arrays) == len(inputs)
        assert all(x is t.data for x, t in zip(arrays, inputs, strict=True))
        assert params == {"k": 7}
        assert out.item() == 2.0


def test_the_output_wraps_the_kernels_array_without_a_copy(monkeypatch):
    made = np.array([5.0, 6.0], dtype=np.float64)
    monkeypatch.setitem(ops.OP_TABLE, "neg", ops.OpDef("neg", lambda x: made, 1))
    out = dispatch.apply("neg", Tensor([1.0]))
    assert out.data is made and out.dtype == np.float64  # not converted to float32
    assert out.requires_grad is False and out.grad_fn is None


def test_an_unknown_op_is_a_key_error():
    with pytest.raises(KeyError):
        dispatch.apply("no_such_op", Tensor([1.0]))


@pytest.mark.parametrize("error", [ValueError, TypeError, IndexError])
def test_a_kernel_error_is_explained_and_chained(monkeypatch, error):
    original = error("the kernel's own words")

    def kernel(x):
        raise original

    monkeypatch.setitem(ops.OP_TABLE, "neg", ops.OpDef("neg", kernel, 1))
    with pytest.raises((ValueError, TypeError, IndexError)) as info:
        dispatch.apply("neg", Tensor(np.zeros((2, 3))))
    assert info.value is not original and info.value.__cause__ is original
    assert str(info.value).startswith("neg") and "the kernel's own words" in str(info.value)


def test_other_kernel_errors_pass_through(monkeypatch):
    def kernel(x):
        raise ZeroDivisionError("as it is")

    monkeypatch.setitem(ops.OP_TABLE, "neg", ops.OpDef("neg", kernel, 1))
    with pytest.raises(ZeroDivisionError, match="as it is"):
        dispatch.apply("neg", Tensor([1.0]))


def test_a_view_shares_the_version_counter_only_when_it_shares_memory():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    view = x.reshape(3, 2)
    assert view._version_counter is x._version_counter
    assert x[0]._version_counter is x._version_counter
    copy = x[[0, 1]]  # advanced indexing: a view op whose output is a copy
    assert copy._version_counter is not x._version_counter
    y = x + 0  # not a view op
    assert y._version_counter is not x._version_counter
    assert dispatch.apply("copy", x)._version_counter is not x._version_counter


def test_a_view_takes_the_counter_its_base_already_has():
    x = Tensor([1.0, 2.0, 3.0, 4.0])
    x += 1
    x.add_(1)
    view = x.reshape(2, 2)
    assert view._version == 2 and x._version == 2  # the base's counter, not a fresh one
    view += 1
    assert x._version == 3 and x._version_counter.shared


def test_a_non_view_op_never_shares_the_counter(monkeypatch):
    monkeypatch.setitem(ops.OP_TABLE, "neg", ops.OpDef("neg", lambda x: x, 1))  # returns x itself
    x = Tensor([1.0, 2.0])
    assert dispatch.apply("neg", x)._version_counter is not x._version_counter


def test_the_layer_records_each_differentiable_op_once_with_the_given_tensors(layer):
    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    out = dispatch.apply("mul", a, b)
    assert len(layer.calls) == 1
    op_name, inputs, params, output = layer.calls[0]
    assert op_name == "mul" and inputs == (a, b) and inputs[0] is a and inputs[1] is b
    assert params == {} and output is out
    dispatch.apply("lt", a, b)
    dispatch.apply("argmax", a, axis=None, keepdims=False)
    assert len(layer.calls) == 1  # comparisons and argmax are not differentiable


def test_no_layer_means_nothing_is_recorded_and_nothing_is_imported(no_autograd):
    out = dispatch.apply("mul", Tensor([1.0]), Tensor([2.0]))
    assert out.grad_fn is None and dispatch._layer is None


# ----------------------------------------------------------------------------- construction


@pytest.mark.parametrize(
    "data, dtype, expected",
    [
        (1.5, None, np.float32),
        ([1.0, 2.0], None, np.float32),
        (np.array([1.0], dtype=np.float64), None, np.float32),
        (np.array([1.0], dtype=np.float16), None, np.float32),
        ([1, 2], None, np.int64),
        (np.array([1], dtype=np.int32), None, np.int32),
        (np.array([1], dtype=np.uint8), None, np.uint8),
        ([True], None, np.bool_),
        ([1, 2], np.float64, np.float64),
        ([1.5, 2.5], np.int64, np.int64),
        (np.array([1.0], dtype=np.float64), np.float64, np.float64),
        ([1.0], "float16", np.float16),
    ],
)
def test_construction_dtypes(data, dtype, expected):
    assert Tensor(data, dtype=dtype).dtype == expected


def test_a_tensor_from_a_tensor_keeps_its_dtype_unless_told():
    source = Tensor([1.0, 2.0], dtype=np.float64)
    assert Tensor(source).dtype == np.float64
    assert Tensor(source, dtype=np.float32).dtype == np.float32
    assert Tensor(Tensor([1, 2])).dtype == np.int64
    assert_array_equal(Tensor(source).numpy(), [1.0, 2.0])


@pytest.mark.parametrize("data", [["a", "b"], [object()], [1 + 2j], None])
def test_data_that_is_not_numbers_is_refused(data):
    with pytest.raises(DTypeError, match="expected numbers"):
        Tensor(data)


def test_construction_keeps_an_array_of_the_right_dtype_as_it_is():
    data = np.array([1.0, 2.0], dtype=np.float32)
    assert np.shares_memory(Tensor(data).numpy(), data)


# ----------------------------------------------------------------------------- pow's dtypes


@pytest.mark.parametrize(
    "base, exponent, dtype",
    [
        ([1.0, 2.0], 2, np.float32),
        ([1.0, 2.0], 0.5, np.float32),
        ([1.0, 2.0], -1, np.float32),
        ([1, 2], 2, np.int64),
        ([1, 2], 0, np.int64),
        ([1, 2], 0.5, np.float32),
        ([1, 2], -0.5, np.float32),
        ([1, 2], 2.0, np.float32),
        ([True, False], 2, np.int64),
        ([True, False], 1.5, np.float32),
    ],
)
def test_pow_dtypes(base, exponent, dtype):
    out = Tensor(base) ** exponent
    assert out.dtype == dtype
    assert_allclose(out.numpy(), np.power(np.asarray(base, dtype=np.float64), exponent))


def test_a_float64_tensor_stays_float64_under_pow():
    assert (Tensor([2.0], dtype=np.float64) ** 0.5).dtype == np.float64


@pytest.mark.parametrize("exponent", [-1, -2])
def test_integers_to_negative_powers_are_refused(exponent):
    with pytest.raises(ValueError, match="integers to negative integer powers are not allowed"):
        Tensor([1, 2]) ** exponent
    with pytest.raises(ValueError, match="not allowed"):
        Tensor([True]) ** exponent


def test_pow_with_a_tensor_exponent_promotes_both(layer):
    out = Tensor([1, 2]) ** Tensor([0.5, 2.0])
    assert out.dtype == np.float32
    assert_allclose(out.numpy(), [1.0, 4.0])
    assert layer.calls[-1][0] == "pow_tensor"
    Tensor([1.0, 2.0]) ** 3
    op_name, inputs, params, _ = layer.calls[-1]
    assert op_name == "pow" and params == {"exponent": 3} and inputs[0].dtype == np.float32


# ----------------------------------------------------------------------------- reductions


@pytest.mark.parametrize(
    "call, axis, keepdims",
    [
        (lambda t: t.sum(), None, False),
        (lambda t: t.sum(-1), 2, False),
        (lambda t: t.sum(axis=-2, keepdims=True), 1, True),
        (lambda t: t.sum(dim=-3, keepdim=True), 0, True),
        (lambda t: t.sum(dim=[0, -1]), (0, 2), False),
        (lambda t: t.mean(dim=(-1, 0), keepdim=True), (2, 0), True),
        (lambda t: t.max(dim=1, keepdim=False), 1, False),
        (lambda t: t.min(dim=-1, keepdims=True), 2, True),
        (lambda t: t.sum(dim=1, keepdims=True, keepdim=False), 1, False),  # keepdim wins
        (lambda t: t.sum(dim=1, keepdims=False, keepdim=True), 1, True),
        (lambda t: t.var(dim=-1, correction=0), 2, False),
        (lambda t: t.std(-1), 2, False),
        (lambda t: t.sum(dim=()), None, False),
    ],
    ids=["sum", "sum-last", "sum-axis-keepdims", "sum-dim-keepdim", "sum-dim-list",
         "mean-dim-tuple", "max-dim", "min-dim-keepdims", "keepdim-false-wins",
         "keepdim-true-wins", "var", "std", "sum-no-dims"],
)
def test_a_reduction_hands_its_op_dims_counted_from_zero(layer, call, axis, keepdims):
    call(Tensor(np.ones((2, 3, 4))))
    _, _, params, output = layer.calls[-1]
    assert params["axis"] == axis and type(params["axis"]) is type(axis)
    assert params["keepdims"] is keepdims


def test_a_reduction_passes_its_other_params(layer):
    Tensor(np.ones((2, 3))).var(dim=1, correction=0)
    assert layer.calls[-1][2] == {"axis": 1, "keepdims": False, "correction": 0}
    Tensor(np.ones((2, 3))).std(unbiased=True)
    assert layer.calls[-1][2] == {"axis": None, "keepdims": False, "correction": 1}


def test_reductions_over_negative_and_tuple_dims_have_the_right_values():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    t = Tensor(x)
    assert_allclose(t.sum(dim=-1).numpy(), x.sum(axis=2))
    assert_allclose(t.mean(dim=(0, -1)).numpy(), x.mean(axis=(0, 2)))
    assert_allclose(t.max(dim=-2, keepdim=True).numpy(), x.max(axis=1, keepdims=True))
    assert t.max(dim=-2, keepdim=True).shape == (2, 1, 4)
    assert t.sum(dim=[1, 2], keepdim=True).shape == (2, 1, 1)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda t: t.sum(dim=(0, 0)), ValueError, "sum: .*more than once"),
        (lambda t: t.mean(dim=(1, -1)), ValueError, "mean: .*more than once"),
        (lambda t: t.max(dim=-3), IndexError, "max: dim -3 is out of range"),
        (lambda t: t.sum(axis=0, dim=0), TypeError, "give either axis or dim"),
    ],
)
def test_reduction_dim_errors(call, error, words):
    with pytest.raises(error, match=words):
        call(Tensor(np.ones((2, 3))))


def test_var_warns_when_there_are_no_degrees_of_freedom():
    x = Tensor([[1.0, 2.0], [3.0, 5.0]])
    with np.errstate(divide="ignore", invalid="ignore"):
        with pytest.warns(RuntimeWarning, match="var"):
            out = x.var(dim=0, correction=2)
        assert np.isinf(out.numpy()).all()
        with pytest.warns(RuntimeWarning):
            assert np.isinf(Tensor([1.0, 3.0]).var(correction=3).numpy())  # never negative
        with pytest.warns(RuntimeWarning):
            assert np.isnan(Tensor([2.0]).var().numpy())  # one value: 0 / 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_allclose(x.var(dim=0, correction=1).numpy(), [2.0, 4.5])  # no warning here


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_var_keeps_the_float_dtype_and_matches_numpy(dtype, rng):
    x = rng.standard_normal((3, 4, 5)).astype(dtype)
    t = Tensor(x, dtype=dtype)
    for dim in (None, 0, -1, (0, 2)):
        for correction in (0, 1, 2):
            for keep in (False, True):
                out = t.var(dim=dim, correction=correction, keepdim=keep)
                expected = np.var(x.astype(np.float64), axis=dim, ddof=correction, keepdims=keep)
                assert out.dtype == dtype and out.shape == expected.shape
                assert_allclose(out.numpy(), expected, rtol=1e-5)
    assert Tensor([1, 2, 4]).var().dtype == np.float32


# ----------------------------------------------------------------------------- shape methods


@pytest.mark.parametrize(
    "dims, expected",
    [
        ((2, 0, 1), (2, 0, 1)),
        ((-1, 0, 1), (2, 0, 1)),
        ((-3, -2, -1), (0, 1, 2)),
        ((-2, -3, 2), (1, 0, 2)),
        ((0, -2, -1), (0, 1, 2)),
        ((1, 0, 2), (1, 0, 2)),
        ([2, 1, 0], (2, 1, 0)),
    ],
)
def test_permute_hands_its_op_dims_counted_from_zero(layer, dims, expected):
    x = np.arange(24.0).reshape(2, 3, 4)
    out = Tensor(x).permute(dims)
    assert layer.calls[-1][2] == {"dims": expected}
    assert_array_equal(out.numpy(), x.transpose(expected))
    assert_array_equal(Tensor(x).permute(*dims).numpy(), x.transpose(expected))


@pytest.mark.parametrize(
    "dims", [(0, 1), (0, 1, 1), (0, 1, 2, 3), (0, 1, 3), (0, 1, -4), (0, 2, -1)]
)
def test_permute_refuses_what_is_not_a_permutation(dims):
    with pytest.raises(ValueError, match=r"permute: dims .* are not a permutation of the 3 dims"):
        Tensor(np.zeros((2, 3, 4))).permute(dims)


def test_permute_of_a_0d_tensor():
    assert Tensor(1.0).permute().shape == ()


@pytest.mark.parametrize(
    "shape, dim, expected",
    [
        ((1, 3, 1, 2), None, (3, 2)),
        ((1, 3, 1, 2), 0, (3, 1, 2)),
        ((1, 3, 1, 2), -2, (1, 3, 2)),
        ((1, 3, 1, 2), -4, (3, 1, 2)),
        ((1, 3, 1, 2), -1, (1, 3, 1, 2)),  # size 2: kept
        ((1, 3, 1, 2), 1, (1, 3, 1, 2)),
        ((1, 1), None, ()),
        ((2, 0, 1), None, (2, 0)),
        ((), None, ()),
        ((), 0, ()),
        ((), -1, ()),
    ],
)
def test_squeeze(shape, dim, expected):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    out = Tensor(x).squeeze(dim)
    assert out.shape == expected
    assert_array_equal(out.numpy(), x.reshape(expected))


@pytest.mark.parametrize("shape, dim", [((1, 3), 2), ((1, 3), -3), ((), 1), ((), -2)])
def test_squeeze_out_of_range(shape, dim):
    with pytest.raises(IndexError, match=rf"squeeze: dim {dim} is out of range"):
        Tensor(np.zeros(shape)).squeeze(dim)


@pytest.mark.parametrize(
    "shape, dim, expected",
    [
        ((2, 3), 0, (1, 2, 3)),
        ((2, 3), 1, (2, 1, 3)),
        ((2, 3), 2, (2, 3, 1)),
        ((2, 3), -1, (2, 3, 1)),
        ((2, 3), -2, (2, 1, 3)),
        ((2, 3), -3, (1, 2, 3)),
        ((), 0, (1,)),
        ((), -1, (1,)),
    ],
)
def test_unsqueeze(shape, dim, expected):
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    out = Tensor(x).unsqueeze(dim)
    assert out.shape == expected
    assert_array_equal(out.numpy(), np.expand_dims(x, dim))


@pytest.mark.parametrize("shape, dim", [((2, 3), 3), ((2, 3), -4), ((), 1), ((), -2)])
def test_unsqueeze_out_of_range(shape, dim):
    with pytest.raises(IndexError, match=rf"unsqueeze: dim {dim} is out of range"):
        Tensor(np.zeros(shape)).unsqueeze(dim)


def test_shape_methods_go_through_reshape(layer):
    x = Tensor(np.zeros((1, 3)))
    x.squeeze(0)
    x.unsqueeze(-1)
    assert [call[0] for call in layer.calls] == ["reshape", "reshape"]


def test_reshape_errors_are_shape_errors():
    with pytest.raises(ShapeError, match=r"reshape: .*\(2, 3\)"):
        Tensor(np.zeros((2, 3))).reshape(5, -1)


# ----------------------------------------------------------------------------- stable kernels


def _softmax64(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("dim", [0, 1, -1, -2])
def test_softmax_shifts_each_slice_by_its_own_max(dim):
    """Rows far apart: one max for the whole tensor gives 0 / 0 in the rows below it."""
    x = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -1003.0], [5.0, 1.0, -2.0]])
    x = x if dim in (1, -1) else x.T.copy()
    with np.errstate(over="raise"):
        soft = Tensor(x).softmax(dim=dim).numpy()
        log_soft = Tensor(x).log_softmax(dim=dim).numpy()
    expected = _softmax64(x, dim)
    assert_allclose(soft, expected, rtol=1e-5, atol=1e-7)
    assert_allclose(log_soft, np.log(expected), rtol=1e-5, atol=1e-4)
    assert_allclose(soft.sum(axis=dim), 1.0, rtol=1e-6)


def test_softmax_of_a_square_matrix_along_dim_0():
    """A sum without keepdims broadcasts along the wrong dim of a square matrix."""
    x = np.array([[1.0, 2.0], [3.0, 5.0]])
    assert_allclose(Tensor(x).softmax(dim=0).numpy(), _softmax64(x, 0), rtol=1e-6)
    assert_allclose(Tensor(x).log_softmax(dim=0).numpy(), np.log(_softmax64(x, 0)), rtol=1e-6)


def test_log_softmax_is_exact_where_softmax_underflows():
    x = Tensor([[0.0, -200.0], [300.0, 0.0]], dtype=np.float64)
    with np.errstate(over="raise", divide="raise"):
        out = x.log_softmax(dim=1).numpy()
    assert_allclose(out, [[0.0, -200.0], [0.0, -300.0]], atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_values_and_dtype(dtype):
    x = np.array([-30.0, -2.0, -0.5, 0.0, 0.5, 2.0, 30.0], dtype=dtype)
    with np.errstate(over="raise"):
        out = Tensor(x, dtype=dtype).sigmoid().numpy()
    assert out.dtype == dtype
    assert_allclose(out, 1 / (1 + np.exp(-x.astype(np.float64))), rtol=1e-6)
    assert Tensor([0, 1]).sigmoid().dtype == np.float32


def test_integer_logits_give_float32():
    for function in (Tensor.softmax, Tensor.log_softmax, Tensor.sigmoid):
        out = function(Tensor([[1, 2, 3]]))
        assert out.dtype == np.float32, function.__name__
    assert_allclose(
        Tensor([[1, 2]]).log_softmax().numpy(),
        np.log(_softmax64(np.array([[1.0, 2.0]]), 1)),
        rtol=1e-6,
    )


# ----------------------------------------------------------------------------- promotion


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("int64", "float32", np.float32),
        (np.float32, np.int64, np.float32),
        (bool, "uint8", np.uint8),
        ("int8", np.uint8, np.int16),
        ("float16", "float64", np.float64),
        (np.bool_, np.bool_, np.bool_),
    ],
)
def test_promote_types_gives_a_numpy_dtype_for_any_dtype_spelling(a, b, expected):
    got = promote_types(a, b)
    assert isinstance(got, np.dtype) and got == expected
