"""The error function erf, vectorized, without requiring SciPy.

    erf(x) = 2 / sqrt(pi) * integral from 0 to x of exp(-t^2) dt

GELU needs it on whole arrays; ``math.erf`` works on one number at a time.
``erf`` picks, in order:

1. ``scipy.special.erf`` when SciPy is importable (correctly rounded, fast);
2. for float32 arrays, Abramowitz and Stegun's formula 7.1.26, a rational
   function of t = 1 / (1 + p|x|) times exp(-x^2), with absolute error below
   1.5e-7 (about one float32 rounding step near 1), in about fifteen float64
   array ops, rounded back to float32;
3. for float64 arrays, a Maclaurin series for |x| < 2 and Laplace's continued
   fraction for erfc(|x|) beyond, with absolute error below 1e-14
   (checked against ``math.erf`` in the tests), accurate enough for
   gradcheck's finite differences.
"""

from __future__ import annotations

import math

import numpy as np

try:  # SciPy is optional: tinytorch needs NumPy alone at run time
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - depends on the environment
    _scipy_erf = None

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SERIES_LIMIT = 2.0
_SERIES_TERMS = 32
_FRACTION_DEPTH = 40

# Abramowitz and Stegun 7.1.26, for x >= 0:
#   erf(x) ~ 1 - (a1 t + ... + a5 t^5) exp(-x^2),  t = 1 / (1 + p x)
_AS_P = 0.3275911
_AS_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erf(x: np.ndarray) -> np.ndarray:
    """erf of every element of ``x`` (float32 or float64), in ``x``'s dtype."""
    x = np.asarray(x)
    if _scipy_erf is not None:
        return _scipy_erf(x)
    if x.dtype == np.float32:
        return erf_abramowitz_stegun(x)
    return erf_precise(x.astype(np.float64, copy=False))


def erf_abramowitz_stegun(x: np.ndarray) -> np.ndarray:
    """erf by A&S 7.1.26 (|error| < 1.5e-7), an odd function: erf(-x) = -erf(x).

    Evaluated in float64: in float32, 1 - poly * exp(-x^2) near x = 0 loses
    several rounding steps to cancellation.
    """
    ax = np.abs(x, dtype=np.float64)
    t = 1 / (1 + _AS_P * ax)
    a1, a2, a3, a4, a5 = _AS_A
    poly = t * (a1 + t * (a2 + t * (a3 + t * (a4 + t * a5))))
    return np.copysign(1 - poly * np.exp(-ax * ax), x).astype(x.dtype, copy=False)


def erf_precise(x: np.ndarray) -> np.ndarray:
    """erf in float64 to about 1e-14: series near 0, continued fraction for the tails."""
    ax = np.abs(x)
    result = np.empty_like(ax)
    near = ax < _SERIES_LIMIT
    result[near] = _erf_series(ax[near])
    result[~near] = 1 - _erfc_continued_fraction(ax[~near])
    return np.copysign(result, x)


def _erf_series(x: np.ndarray) -> np.ndarray:
    """erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), for |x| < 2."""
    x2 = x * x
    term = x.copy()  # x^(2n+1) (-1)^n / n!
    total = x.copy()
    for n in range(1, _SERIES_TERMS):
        term *= -x2 / n
        total += term / (2 * n + 1)
    return _TWO_OVER_SQRT_PI * total


def _erfc_continued_fraction(x: np.ndarray) -> np.ndarray:
    """erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), for x >= 2.

    Evaluated from the innermost level outwards, with a fixed depth.
    """
    fraction = x.copy()
    for k in range(_FRACTION_DEPTH, 0, -1):
        fraction = x + (k / 2) / fraction
    return np.exp(-x * x) / (math.sqrt(math.pi) * fraction)
