"""Type promotion: the dtype of an op on mixed operands, as PyTorch decides it.

Dtypes come in three categories, ordered bool < integer < floating point.
PyTorch looks at the category first and lets only tensors *with dims* fix
the exact type within it:

- Operands are of three kinds, in priority order: tensors with dims,
  0-d tensors, and Python numbers (a Python float counts as float32, an int
  as int64, a bool as bool).
- Within one kind, dtypes promote as ``promote_types`` says.
- A lower-priority kind changes the result only when its category is
  higher: ``uint8 tensor + 10`` stays uint8 and ``int32 tensor + 1`` int32,
  ``float32 tensor + 0-d float64 tensor`` stays float32, but
  ``int64 tensor + 2.5`` is float32 and ``int64 tensor + 0-d float64`` float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}  # bool < integer < floating point


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integer (signed or unsigned), 2 for floating point dtypes."""
    return _CATEGORY[np.dtype(dtype).kind]


def promote_types(a: Any, b: Any) -> np.dtype:
    """The smallest dtype both ``a`` and ``b`` convert to, as ``torch.promote_types``.

    Across categories the higher category's dtype wins (int64 with float32 is
    float32; NumPy would say float64); within one category NumPy's rule
    applies (int8 with uint8 is int16, float32 with float64 float64).
    """
    # BEGIN SOLUTION
    a, b = np.dtype(a), np.dtype(b)
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    return np.promote_types(a, b)
    # END SOLUTION


def _scalar_dtype(value: Any) -> np.dtype:
    """The dtype a Python number takes in promotion: bool, int64 or float32 (the default)."""
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(value, (int, np.integer)):
        return np.dtype(np.int64)
    if isinstance(value, (float, np.floating)):
        return np.dtype(np.float32)
    raise TypeError(f"expected a Tensor or a Python number, got {type(value).__name__}")


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """Let the ``lower``-priority kind's dtype in only if its category is higher."""
    if higher is None:
        return lower
    if lower is None or category(higher) >= category(lower):
        return higher
    return promote_types(higher, lower)


def result_type(*operands: Any) -> np.dtype:
    """The dtype PyTorch gives an op on ``operands``, Tensors and Python numbers
    (``torch.result_type``); see the module docstring for the rules."""
    # BEGIN SOLUTION
    kinds: dict[str, np.dtype | None] = {"dims": None, "zero-d": None, "number": None}
    for operand in operands:
        if hasattr(operand, "data") and isinstance(operand.data, np.ndarray):
            kind, dtype = ("dims" if operand.data.ndim else "zero-d"), operand.data.dtype
        else:
            kind, dtype = "number", _scalar_dtype(operand)
        seen = kinds[kind]
        kinds[kind] = dtype if seen is None else promote_types(seen, dtype)
    return _combine(kinds["dims"], _combine(kinds["zero-d"], kinds["number"]))
    # END SOLUTION
