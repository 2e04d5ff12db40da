"""Error messages that name the op, what it was given and what it expected."""

from __future__ import annotations

from typing import Any

import numpy as np


class ShapeError(ValueError):
    """Operands whose shapes do not fit the op; the message names the op and every shape."""


class DTypeError(TypeError):
    """Operands whose dtypes do not fit the op; the message names the op and every dtype."""


def _shapes(inputs) -> str:
    return " and ".join(str(tuple(t.shape)) for t in inputs)


def _are_matrices(inputs) -> bool:
    return len(inputs) == 2 and all(t.ndim == 2 for t in inputs)


def explain_kernel_error(
    op_name: str, inputs, params: dict[str, Any], error: Exception
) -> Exception:
    """Turn a NumPy error raised by a kernel into one that names the op, shapes and dtypes."""
    if op_name == "matmul" and len(inputs) == 2:
        a, b = inputs
        inner_b = b.shape[-2] if b.ndim >= 2 else (b.shape[0] if b.ndim else None)
        return ShapeError(
            f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} do not fit: the last dim of "
            f"the first ({a.shape[-1] if a.ndim else 'a scalar'}) must equal the "
            f"{'second-to-last' if b.ndim >= 2 else 'only'} dim of the second ({inner_b}), "
            "and leading (batch) dims must broadcast"
        )
    if op_name == "addmm" and isinstance(error, ValueError) and _are_matrices(inputs[1:]):
        bias, a, b = inputs
        if a.shape[1] != b.shape[0]:
            return ShapeError(
                f"addmm: mat1 of shape {tuple(a.shape)} and mat2 of shape {tuple(b.shape)} do "
                f"not fit: mat1's columns ({a.shape[1]}) must equal mat2's rows ({b.shape[0]})"
            )
        return ShapeError(
            f"addmm: the bias of shape {tuple(bias.shape)} cannot be broadcast to the "
            f"product's shape {(a.shape[0], b.shape[1])} (mat1 {tuple(a.shape)} @ mat2 "
            f"{tuple(b.shape)}); expected a bias of shape ({b.shape[1]},) or "
            f"{(a.shape[0], b.shape[1])}"
        )
    if op_name in ("reshape", "expand"):
        return ShapeError(
            f"{op_name}: cannot turn shape {tuple(inputs[0].shape)} "
            f"(size {inputs[0].size}) into shape {tuple(params['shape'])}: {error}"
        )
    if op_name in ("cat", "stack"):
        return ShapeError(
            f"{op_name} along axis {params.get('axis', 0)}: shapes {_shapes(inputs)} "
            f"do not fit: {error}"
        )
    if op_name == "getitem":
        return IndexError(
            f"getitem: index {params.get('index')!r} does not fit shape "
            f"{tuple(inputs[0].shape)}: {error}"
        )
    if isinstance(error, IndexError):  # NumPy's AxisError (reductions, softmax), or shape[axis]
        return IndexError(
            f"{op_name}: axis {params.get('axis')!r} is out of range for shape "
            f"{tuple(inputs[0].shape)} (expected axes from {-inputs[0].ndim} to "
            f"{inputs[0].ndim - 1}): {error}"
        )
    if "broadcast" in str(error):
        return ShapeError(f"{op_name}: shapes {_shapes(inputs)} cannot be broadcast together")
    if isinstance(error, TypeError):
        dtypes = " and ".join(str(t.dtype) for t in inputs)
        return DTypeError(f"{op_name}: unsupported dtypes {dtypes}: {error}")
    return ValueError(f"{op_name} on shapes {_shapes(inputs)}: {error}")


def check_same_dtype(op_name: str, a: np.dtype, b: np.dtype) -> None:
    """matmul needs one dtype on both sides, as in PyTorch; say which two were given."""
    if a != b:
        raise DTypeError(
            f"{op_name}: expected both operands to have the same dtype, got {a} and {b}; "
            "convert one with .float(), .double() or .to(dtype)"
        )
