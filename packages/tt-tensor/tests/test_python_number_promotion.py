"""Type promotion as in PyTorch: Python numbers with integer tensors give float32, not
float64, and an integer tensor with a float tensor takes the float tensor's dtype."""

import numpy as np
import pytest
from tinytorch.tensor import Tensor


@pytest.mark.parametrize(
    "expression",
    [
        lambda t: t + 2.5,
        lambda t: 2.5 + t,
        lambda t: t - 0.5,
        lambda t: 0.5 - t,
        lambda t: t * 1.5,
        lambda t: 1.5 * t,
        lambda t: t / 2.0,
        lambda t: 2.0 / t,
        lambda t: t.maximum(1.5) if isinstance(t, Tensor) else np.maximum(t, 1.5),
        lambda t: t.minimum(1.5) if isinstance(t, Tensor) else np.minimum(t, 1.5),
    ],
)
def test_integer_tensor_with_python_float_gives_float32(expression):
    ints = Tensor([1, 2, 4])
    result = expression(ints)
    assert result.dtype == np.float32
    np.testing.assert_allclose(
        result.data, expression(np.array([1, 2, 4], dtype=np.float64)), rtol=1e-6
    )


def test_integer_tensor_with_python_int_stays_integer():
    assert (Tensor([1, 2]) + 1).dtype == np.int64
    assert (3 * Tensor([1, 2])).dtype == np.int64


def test_float64_tensor_with_python_float_stays_float64():
    assert (Tensor([1.0], dtype=np.float64) * 0.1).dtype == np.float64


def test_an_integer_tensor_with_a_float_tensor_takes_the_float_dtype():
    ints, bools = Tensor([1, 2, 3]), Tensor([True, False, True])
    for floats in (Tensor([0.5, 0.5, 0.5]), Tensor([0.5, 0.5, 0.5], dtype=np.float64)):
        for result in (ints + floats, floats * ints, ints - floats, bools / floats):
            assert result.dtype == floats.dtype
        assert ints.maximum(floats).dtype == floats.dtype
        np.testing.assert_allclose((ints + floats).numpy(), [1.5, 2.5, 3.5])
    assert (ints + Tensor(0.5)).dtype == np.float32  # a 0-d float tensor too, as in PyTorch
    assert (Tensor([0.5], dtype=np.float64) + Tensor([1.0])).dtype == np.float64
    assert (bools + ints).dtype == np.int64


DTYPES = ["bool", "int32", "int64", "float32", "float64"]


@pytest.mark.parametrize("left", DTYPES)
@pytest.mark.parametrize("right", DTYPES)
def test_tensor_tensor_promotion_matches_pytorch(left, right):
    torch = pytest.importorskip("torch")
    a, b = np.array([1, 0, 1]).astype(left), np.array([0, 1, 1]).astype(right)
    expected = torch.result_type(torch.from_numpy(a), torch.from_numpy(b))
    ours = (Tensor(a, dtype=left) + Tensor(b, dtype=right)).dtype
    assert str(expected) == f"torch.{ours}", (left, right)
