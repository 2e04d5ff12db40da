import numpy as np
import pytest
from tinytorch.tensor import Tensor


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def leaf(rng):
    """A float64 leaf tensor of the given shape that requires grad (for gradcheck)."""

    def make(*shape):
        return Tensor(rng.standard_normal(shape), dtype=np.float64, requires_grad=True)

    return make
