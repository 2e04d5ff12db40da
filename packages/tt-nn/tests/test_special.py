"""The vectorized erf behind GELU: each path against math.erf."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tinytorch.autograd import gradcheck
from tinytorch.nn import functional as F
from tinytorch.nn import special
from tinytorch.tensor import Tensor

GRID = np.concatenate([np.linspace(-7, 7, 4001), [-30.0, -2.0, 0.0, 1e-8, 2.0, 30.0]])
REFERENCE = np.array([math.erf(v) for v in GRID])


def test_precise_fallback_is_accurate_to_1e_14():
    result = special.erf_precise(GRID)
    assert np.abs(result - REFERENCE).max() < 1e-14


def test_abramowitz_stegun_is_accurate_to_1_5e_7():
    result = special.erf_abramowitz_stegun(GRID.astype(np.float32))
    assert result.dtype == np.float32
    assert np.abs(result.astype(np.float64) - REFERENCE).max() < 1.5e-7 + 1e-7  # + float32 rounding


def test_erf_keeps_the_dtype():
    assert special.erf(np.zeros(3, np.float32)).dtype == np.float32
    assert special.erf(np.zeros(3, np.float64)).dtype == np.float64


def test_gelu_without_scipy_passes_gradcheck(monkeypatch):
    monkeypatch.setattr(special, "_scipy_erf", None)
    x = Tensor(np.linspace(-6, 6, 25), dtype=np.float64, requires_grad=True)
    assert gradcheck(F.gelu, x)
    exact = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.data]
    np.testing.assert_allclose(F.gelu(x).data, exact, rtol=1e-13, atol=1e-15)


def test_float32_gelu_without_scipy_is_close(monkeypatch):
    monkeypatch.setattr(special, "_scipy_erf", None)
    x = np.linspace(-6, 6, 101).astype(np.float32)
    exact = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x.astype(np.float64)])
    assert F.gelu(Tensor(x)).data == pytest.approx(exact, abs=1e-6)
