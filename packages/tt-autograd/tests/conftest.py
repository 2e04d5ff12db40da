"""Shared helpers for tt-autograd's tests: float64 leaves and a seeded generator."""

from __future__ import annotations

import numpy as np
import pytest
import tinytorch.autograd as autograd
from tinytorch.tensor import Tensor


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


@pytest.fixture
def leaf():
    """Make a float64 tensor that requires grad (what gradcheck needs)."""

    def make(values) -> Tensor:
        return Tensor(np.asarray(values, dtype=np.float64), dtype=np.float64, requires_grad=True)

    return make


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    """A test that leaves grad mode off would silently break the tests after it."""
    yield
    assert autograd.is_grad_enabled(), "a test left grad mode disabled"
