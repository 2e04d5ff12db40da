"""Shared fixtures for tt-tensor's tests.

These tests must pass with NumPy and tt-tensor alone: they never import
tinytorch.autograd, and a guard below fails any test that makes tt-tensor
import it lazily (for example by creating a float tensor with requires_grad).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from tinytorch.tensor import dispatch

AUTOGRAD = "tinytorch.autograd"


@pytest.fixture(autouse=True)
def _tt_tensor_alone():
    """Fail a test that loads tt-autograd: requires_grad behaviour belongs to its tests."""
    loaded_before = AUTOGRAD in sys.modules
    yield
    if not loaded_before:
        assert AUTOGRAD not in sys.modules, "this tt-tensor test imported tt-autograd"


@pytest.fixture
def install_layer():
    """``install_layer(layer)`` puts a stand-in autograd layer (or None) in the dispatcher.

    tt-tensor will not import tt-autograd over it; the dispatcher's state comes
    back after the test. Returns ``layer``.
    """
    saved = dispatch._layer, dispatch._import_attempted

    def install(layer):
        dispatch.install_autograd_layer(layer)
        dispatch._import_attempted = True
        return layer

    yield install
    dispatch.install_autograd_layer(saved[0])
    dispatch._import_attempted = saved[1]


@pytest.fixture
def no_autograd(install_layer):
    """The dispatcher as it is when tt-autograd is not installed; restored afterwards."""
    install_layer(None)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def noncontig():
    """Make a strided (non-contiguous) view holding the same values as an array."""

    def make(array: np.ndarray) -> np.ndarray:
        if array.ndim == 0:
            return array
        view = np.repeat(array, 2, axis=-1)[..., ::2]
        assert array.size == 0 or array.shape[-1] < 2 or not view.flags.c_contiguous
        return view

    return make
