"""Creating tensors: constants, ranges and seedable random numbers.

Random functions draw from one module-level ``numpy.random.Generator``
(reseed it with ``manual_seed``) unless a ``generator`` is passed, so a run is
reproducible from its seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .promotion import result_type
from .shapes import shape_arg
from .tensor import DEFAULT_FLOAT, Tensor

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator (``torch.manual_seed``) and return it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator random functions use when none is passed."""
    return _generator


def _dtype(dtype: Any) -> Any:
    return DEFAULT_FLOAT if dtype is None else dtype


def _new(array: np.ndarray, requires_grad: bool) -> Tensor:
    """Wrap an array whose dtype was already chosen (float64 must stay float64)."""
    return Tensor(array, requires_grad=requires_grad, dtype=array.dtype)


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor from data (``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.zeros(shape_arg(shape), dtype=_dtype(dtype)), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.ones(shape_arg(shape), dtype=_dtype(dtype)), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value`` (``torch.full``).

    Without a dtype, the value decides it as in PyTorch: a bool gives bool, an
    int int64, a float float32.
    """
    if dtype is None:
        dtype = result_type(fill_value)
    return _new(np.full(shape_arg((shape,)), fill_value, dtype=dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    return _new(np.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None) -> Tensor:
    """Evenly spaced values in [start, end); integers stay int64 unless a dtype is given."""
    if end is None:
        start, end = 0, start
    return Tensor(np.arange(start, end, step), dtype=dtype)


_DRAWN_DIRECTLY = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes NumPy's Generator draws in (``dtype=``); others are drawn in float64 and cast."""


def _draw(method, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """``method(shape)`` of a Generator, in ``dtype``: drawn in it when NumPy can (a float32
    draw is half the memory and time of a float64 one), else drawn in float64 and cast."""
    dtype = np.dtype(_dtype(dtype))
    if dtype in _DRAWN_DIRECTLY:
        return method(shape, dtype=dtype)
    return method(shape, dtype=np.float64).astype(dtype)


def randn(
    *shape, dtype=None, requires_grad: bool = False, generator: np.random.Generator | None = None
) -> Tensor:
    """Samples of the standard normal distribution (float32 unless ``dtype`` says otherwise).

    Drawn from ``generator``, else from the default generator (``manual_seed``):
    one seed gives the same numbers. float32 and float64 samples are drawn in
    their own dtype, so a float32 draw is not the float64 draw rounded.
    """
    rng = generator or _generator
    return _new(_draw(rng.standard_normal, shape_arg(shape), dtype), requires_grad)


def rand(
    *shape, dtype=None, requires_grad: bool = False, generator: np.random.Generator | None = None
) -> Tensor:
    """Samples of the uniform distribution on [0, 1) (drawn as ``randn`` is)."""
    rng = generator or _generator
    return _new(_draw(rng.random, shape_arg(shape), dtype), requires_grad)


def randint(low: int, high: int, shape, generator: np.random.Generator | None = None) -> Tensor:
    """Integers drawn uniformly from [low, high), as int64."""
    rng = generator or _generator
    return Tensor(rng.integers(low, high, size=shape_arg((shape,)), dtype=np.int64))


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t: Tensor, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, generator=generator)


def rand_like(t: Tensor, dtype=None, requires_grad: bool = False, generator=None) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, generator=generator)
