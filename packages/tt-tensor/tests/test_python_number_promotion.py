"""Python numbers with integer tensors promote as in PyTorch: to float32, not float64."""

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
