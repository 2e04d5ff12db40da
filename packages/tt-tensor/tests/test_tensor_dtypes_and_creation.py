"""dtype rules, creation helpers, seeding, conversion and the Tensor's own attributes."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from tinytorch import tensor as tt
from tinytorch.tensor import DTypeError, Tensor

# ----------------------------------------------------------------------------- dtype rules


def test_float_lists_and_float64_arrays_become_float32():
    assert Tensor([1.0, 2.0]).dtype == np.float32
    assert Tensor(np.array([1.0, 2.0])).dtype == np.float32
    assert Tensor(np.float64(1.5)).dtype == np.float32
    assert Tensor(2.5).dtype == np.float32
    assert Tensor(2.5).shape == ()


def test_explicit_dtype_is_kept():
    assert Tensor([1.0, 2.0], dtype=np.float64).dtype == np.float64
    assert Tensor(np.array([1.0]), dtype="float64").dtype == np.float64
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32
    assert Tensor([1.0], dtype=tt.float64).dtype == np.float64
    assert Tensor([1.0], dtype=tt.int64).dtype == np.int64


def test_integer_and_boolean_data_keep_their_kind():
    labels = Tensor([0, 3, 1])
    assert labels.dtype == np.int64
    assert Tensor(np.array([1, 2], dtype=np.int64)).dtype == np.int64
    assert Tensor(np.array([1, 2], dtype=np.int32)).dtype == np.int32
    assert Tensor([True, False]).dtype == np.bool_
    assert Tensor(np.array([1, 2], dtype=np.uint8)).dtype == np.uint8


def test_integer_division_gives_float32():
    out = Tensor([1, 2, 3]) / Tensor([2, 2, 2])
    assert out.dtype == np.float32
    assert_allclose(out.numpy(), [0.5, 1.0, 1.5])
    assert (Tensor([1, 2]) / 2).dtype == np.float32
    assert (3 / Tensor([1, 2])).dtype == np.float32
    assert Tensor([1, 2]).mean().dtype == np.float32
    assert Tensor([1, 2, 4]).var().dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_scalars_do_not_change_a_float_dtype(dtype):
    x = Tensor([1.0, 2.0], dtype=dtype)
    for out in (
        x + 1,
        1 + x,
        x - 1.5,
        2.5 - x,
        x * 2,
        0.5 * x,
        x / 3,
        3 / x,
        x**2,
        x**0.5,
        x.maximum(0.0),
        x.minimum(1),
        x + np.float64(1.0),
        x * np.float32(2.0),
    ):
        assert out.dtype == dtype


def test_integer_tensor_with_integer_scalar_stays_integer():
    assert (Tensor([1, 2]) + 1).dtype == np.int64
    assert (Tensor([1, 2]) * 3).dtype == np.int64
    assert_array_equal((2 - Tensor([1, 2])).numpy(), [1, 0])


def test_float32_and_float64_tensors_promote_to_float64():
    assert (Tensor([1.0]) + Tensor([1.0], dtype=np.float64)).dtype == np.float64


def test_strings_and_objects_are_rejected_with_a_clear_error():
    with pytest.raises(DTypeError, match="<U1"):
        Tensor(np.array(["a"]))
    with pytest.raises(DTypeError, match="expected numbers"):
        Tensor(["a", "b"])
    with pytest.raises(DTypeError):
        Tensor(None)


def test_tensor_from_a_tensor_keeps_values():
    x = Tensor([1.0, 2.0], dtype=np.float64)
    y = Tensor(x)
    assert y.dtype == np.float64
    assert_array_equal(y.numpy(), x.numpy())


def test_conversions():
    x = Tensor([1.7, -2.2])
    assert x.double().dtype == np.float64
    assert x.double().float().dtype == np.float32
    assert_array_equal(x.long().numpy(), [1, -2])
    assert x.long().dtype == np.int64
    assert_array_equal(Tensor([0.0, 3.0]).bool().numpy(), [False, True])
    assert x.to(np.float64).dtype == np.float64
    assert x.to("float64").dtype == np.float64
    assert x.to(np.float32) is x


def test_clone_owns_its_memory_and_detach_shares_it():
    x = Tensor([1.0, 2.0])
    clone = x.clone()
    clone.numpy()[0] = 10.0
    assert x.numpy()[0] == 1.0
    detached = x.detach()
    detached.numpy()[1] = 20.0
    assert x.numpy()[1] == 20.0
    assert not detached.requires_grad


# ----------------------------------------------------------------------------- creation helpers


@pytest.mark.parametrize("make", [tt.zeros, tt.ones])
def test_zeros_and_ones(make):
    value = 0.0 if make is tt.zeros else 1.0
    for t in (make(2, 3), make((2, 3)), make([2, 3])):
        assert t.shape == (2, 3)
        assert t.dtype == np.float32
        assert np.all(t.numpy() == value)
    assert make(()).shape == ()
    assert make(0, 4).shape == (0, 4)
    assert make(2, dtype=np.float64).dtype == np.float64
    assert make(2, dtype=np.int64).dtype == np.int64


def test_full_and_eye():
    t = tt.full((2, 2), 7.5)
    assert t.dtype == np.float32
    assert_array_equal(t.numpy(), np.full((2, 2), 7.5))
    assert tt.full(3, 1.0).shape == (3,)
    assert tt.full((2,), 1.0, dtype=np.float64).dtype == np.float64
    assert_array_equal(tt.eye(3).numpy(), np.eye(3))
    assert tt.eye(2, 3).shape == (2, 3)
    assert tt.eye(2).dtype == np.float32
    assert tt.eye(2, dtype=np.float64).dtype == np.float64


def test_arange():
    assert_array_equal(tt.arange(5).numpy(), np.arange(5))
    assert tt.arange(5).dtype == np.int64
    assert_array_equal(tt.arange(2, 8, 2).numpy(), [2, 4, 6])
    floats = tt.arange(0, 1, 0.25)
    assert floats.dtype == np.float32
    assert_allclose(floats.numpy(), [0.0, 0.25, 0.5, 0.75])
    assert tt.arange(3, dtype=np.float32).dtype == np.float32
    assert tt.arange(0).shape == (0,)


def test_tensor_function():
    t = tt.tensor([1, 2], dtype=np.float64)
    assert t.dtype == np.float64
    assert tt.tensor([1.0]).dtype == np.float32


@pytest.mark.parametrize("make", [tt.zeros_like, tt.ones_like, tt.randn_like, tt.rand_like])
def test_like_helpers_copy_shape_and_dtype(make):
    for source in (Tensor(np.zeros((2, 3))), Tensor(np.zeros((4,)), dtype=np.float64)):
        out = make(source)
        assert out.shape == source.shape
        assert out.dtype == source.dtype
        assert make(source, dtype=np.float64).dtype == np.float64
        assert make(source, dtype=np.dtype(np.float64)).dtype == np.float64
        assert out.numpy() is not source.numpy()


def test_full_like():
    source = Tensor([[1, 2]])
    out = tt.full_like(source, 3)
    assert out.dtype == np.int64
    assert_array_equal(out.numpy(), [[3, 3]])
    assert tt.full_like(Tensor([1.0]), 0.5, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("make", [tt.randn, tt.rand])
def test_random_shapes_dtypes_and_ranges(make):
    t = make(1000)
    assert t.shape == (1000,)
    assert t.dtype == np.float32
    assert make(2, 3).shape == (2, 3)
    assert make((2, 3)).shape == (2, 3)
    assert make(2, dtype=np.float64).dtype == np.float64
    values = t.numpy()
    if make is tt.rand:
        assert values.min() >= 0.0 and values.max() < 1.0
        assert 0.4 < values.mean() < 0.6
    else:
        assert abs(values.mean()) < 0.15 and 0.85 < values.std() < 1.15


def test_randint():
    t = tt.randint(3, 7, (50,))
    assert t.dtype == np.int64
    assert t.shape == (50,)
    assert t.numpy().min() >= 3 and t.numpy().max() < 7
    assert set(np.unique(t.numpy())) == {3, 4, 5, 6}
    assert tt.randint(0, 2, (2, 3)).shape == (2, 3)


@pytest.mark.parametrize(
    "draw",
    [
        lambda **k: tt.randn(3, 2, **k),
        lambda **k: tt.rand(4, **k),
        lambda **k: tt.randint(0, 100, (5,), **k),
    ],
    ids=["randn", "rand", "randint"],
)
def test_manual_seed_reproduces_draws(draw):
    tt.manual_seed(42)
    first = draw().numpy()
    second = draw().numpy()
    tt.manual_seed(42)
    assert_array_equal(draw().numpy(), first)
    assert_array_equal(draw().numpy(), second)
    assert not np.array_equal(first, second)
    tt.manual_seed(43)
    assert not np.array_equal(draw().numpy(), first)


def test_generator_argument_is_independent_of_the_default_generator():
    tt.manual_seed(0)
    expected = tt.randn(5, generator=np.random.default_rng(7)).numpy()
    tt.manual_seed(1)  # the default generator's state must not matter
    tt.randn(3)
    assert_array_equal(tt.randn(5, generator=np.random.default_rng(7)).numpy(), expected)
    tt.manual_seed(5)
    state_before = tt.randn(2).numpy()
    tt.manual_seed(5)
    tt.rand(2, generator=np.random.default_rng(0))  # must not advance the default generator
    assert_array_equal(tt.randn(2).numpy(), state_before)


@pytest.mark.parametrize("make, method", [(tt.randn, "standard_normal"), (tt.rand, "random")])
def test_random_floats_are_drawn_in_their_own_dtype(make, method):
    """float32 samples come from NumPy's float32 draw (half the work of a float64 draw),
    not from the float64 draw rounded; float64 ones from the float64 draw."""
    for dtype in (np.float32, np.float64):
        expected = getattr(np.random.default_rng(7), method)((4, 3), dtype=dtype)
        drawn = make(4, 3, dtype=dtype, generator=np.random.default_rng(7)).numpy()
        assert drawn.dtype == dtype
        assert_array_equal(drawn, expected)
    tt.manual_seed(11)
    expected = getattr(np.random.default_rng(11), method)(5, dtype=np.float32)
    assert_array_equal(make(5).numpy(), expected)  # the default generator, float32 too
    half = make(3, dtype=np.float16, generator=np.random.default_rng(7))  # cast from float64
    assert half.dtype == np.float16 and half.shape == (3,)


def test_manual_seed_returns_the_default_generator():
    generator = tt.manual_seed(3)
    assert tt.default_generator() is generator
    assert isinstance(generator, np.random.Generator)


# ----------------------------------------------------------------------------- attributes


def test_shape_ndim_size_len():
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.shape == (2, 3, 4)
    assert x.ndim == 3 and x.dim() == 3
    assert x.size == 24 and x.numel() == 24
    assert x.size() == (2, 3, 4)
    assert x.size(0) == 2 and x.size(-1) == 4
    assert len(x) == 2
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    assert Tensor(np.zeros((0, 3))).size == 0


def test_item_and_python_conversions():
    assert Tensor(3.5).item() == 3.5
    assert isinstance(Tensor(3.5).item(), float)
    assert Tensor([[7]]).item() == 7
    assert isinstance(Tensor([7]).item(), int)
    assert float(Tensor([2.0])) == 2.0
    assert int(Tensor(4)) == 4
    assert bool(Tensor(1.0)) and not bool(Tensor([0.0]))
    with pytest.raises(ValueError, match=r"one-element.*\(2,\)"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(Tensor([1.0, 2.0]))
    assert Tensor([[1, 2]]).tolist() == [[1, 2]]
    assert [1, 2, 3][Tensor(1)] == 2
    with pytest.raises(TypeError, match="integer"):
        [1, 2][Tensor(1.0)]


def test_numpy_shares_memory():
    data = np.array([1.0, 2.0], dtype=np.float32)
    x = Tensor(data)
    assert x.numpy() is x.data
    x.numpy()[0] = 5.0
    assert x.numpy()[0] == 5.0
    assert np.shares_memory(x.numpy(), data)
    assert np.asarray(x) is x.data
    assert np.asarray(x, dtype=np.float64).dtype == np.float64


def test_iteration_yields_rows():
    rows = list(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert len(rows) == 2
    assert_array_equal(rows[1].numpy(), [3.0, 4.0])


def test_zero_fills_in_place():
    x = Tensor([1.0, 2.0])
    assert x.zero_() is x
    assert_array_equal(x.numpy(), [0.0, 0.0])


def test_repr():
    assert repr(Tensor([[1.0, 2.0], [3.0, 4.0]])) == "tensor([[1., 2.],\n        [3., 4.]])"
    assert repr(Tensor([1.0], dtype=np.float64)) == "tensor([1.], dtype=float64)"
    assert repr(Tensor([1, 2])) == "tensor([1, 2])"
    assert repr(Tensor(np.array([1, 2], dtype=np.int32))) == "tensor([1, 2], dtype=int32)"
    assert repr(Tensor(2.5)) == "tensor(2.5)"
    assert repr(Tensor([True])) == "tensor([ True])"
    docstring_example = (Tensor([[1.0, 2.0], [3.0, 4.0]]) * 2 + 1).sum(dim=1)
    assert repr(docstring_example) == "tensor([ 8., 16.])"


def test_tensors_are_hashable_by_identity():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b}) == 2
    assert {a: 1}[a] == 1


def test_version_is_exposed():
    assert isinstance(tt.__version__, str) and tt.__version__.count(".") >= 1
