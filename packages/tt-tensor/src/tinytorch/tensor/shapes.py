"""Shapes and dims: the rules every shape op and reduction follows, on plain tuples of ints.

A tensor of shape ``(d0, d1, ..., d{n-1})`` has ``n`` dims. Everything here
works on shapes and dim numbers alone, never on data, so each rule can be
read and tested by itself:

- ``dim_index``: a dim counted from 0 (``-1`` is the last dim), or an error.
- ``reduction_dims``: the dims a reduction collapses (an int, a tuple, or all).
- ``broadcast_shapes``: the shape two or more broadcasting operands give.
- ``infer_shape``: a ``reshape`` target with its ``-1`` worked out.
- ``expand_shape``: an ``expand`` target with its ``-1`` entries filled in, checked.

The Tensor methods (``tensor.py``) call these and then hand the op to the
dispatcher with shapes and dims that are already checked and counted from 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import ShapeError


def shape_arg(shape: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def axis_arg(axis: Any, dim: Any, op_name: str = "") -> Any:
    """PyTorch spells ``axis`` as ``dim``; accept either, not both (a list becomes a tuple).

    Both given is a TypeError that names ``op_name`` (when given) and both values.
    """
    if dim is not None:
        if axis is not None:
            prefix = f"{op_name}: " if op_name else ""
            raise TypeError(
                f"{prefix}give either axis or dim, not both (got axis={axis!r}, dim={dim!r})"
            )
        axis = dim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis


def dim_index(op_name: str, dim: int, ndim: int) -> int:
    """``dim`` of a tensor with ``ndim`` dims, counted from 0: in ``range(ndim)``.

    A negative dim counts from the end, as in Python: for ``ndim = 3``, -1 is
    2 and -3 is 0. Any dim outside ``[-ndim, ndim)`` raises
    ``IndexError("<op_name>: dim <dim> is out of range: expected a dim from
    <-ndim> to <ndim - 1>")`` (the tests match ``"<op_name>: dim"``,
    ``"out of range"`` and both ends of the range). ``ndim`` is at least 1.
    """
    # BEGIN SOLUTION
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"{op_name}: dim {dim} is out of range: expected a dim from {-ndim} to {ndim - 1}"
        )
    return dim % ndim
    # END SOLUTION


def one_dim(op_name: str, dim: int | None, ndim: int) -> int | None:
    """A single reduction dim counted from 0, or None (all dims; also a 0-d tensor's dim 0).

    A 0-d tensor accepts dim 0 and -1, as in PyTorch: there is nothing to
    reduce, so the reduction runs over "all" (no) dims.
    """
    if dim is None:
        return None
    if not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op_name}: expected dim to be an int or None, got {dim!r}")
    index = dim_index(op_name, int(dim), max(ndim, 1))
    return None if ndim == 0 else index


def reduction_dims(op_name: str, dim: Any, ndim: int) -> int | tuple[int, ...] | None:
    """The dims a reduction over ``dim`` collapses in a tensor with ``ndim`` dims.

    Args:
        op_name: named in every error.
        dim: None or an empty tuple/list (every dim), an int, or a tuple or
            list of ints; negative dims count from the end.
        ndim: the tensor's number of dims (0 for a 0-d tensor).

    Returns:
        None for "every dim"; an int in ``range(ndim)`` for an int ``dim``; a
        tuple of such ints, in the order given, for a tuple or list. A 0-d
        tensor accepts dims 0 and -1 (each alone or in a tuple) and gives None.

    Raises:
        IndexError: a dim out of range, as ``dim_index`` says (every entry is checked).
        TypeError: an entry that is not an int (``one_dim`` says which).
        ValueError: the same dim twice (``dim=(1, -1)`` on 2 dims); the message
            contains "more than once".
    """
    # BEGIN SOLUTION
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    checked = tuple(one_dim(op_name, d, ndim) for d in dims)
    if ndim == 0:
        return None
    if len(set(checked)) != len(checked):
        raise ValueError(f"{op_name}: dim {dim} names a dim more than once")
    return checked if isinstance(dim, (tuple, list)) else checked[0]
    # END SOLUTION


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The shape that operands of ``shapes`` broadcast to, as ``torch.broadcast_shapes``.

    ``broadcast_shapes((2, 1, 4), (3, 1))`` is ``(2, 3, 4)``; ``()`` (a 0-d
    tensor or a number) broadcasts with anything; no shapes at all give ``()``.
    A size-0 dim stays 0 against a 1. The rule is the one stated in the guide's
    "Broadcasting" section (docs/packages/tt-tensor.md).

    Raises:
        ShapeError: shapes that do not broadcast; the message names every
            shape (as ``(3, 2)``) and contains "cannot be broadcast".
    """
    # BEGIN SOLUTION
    ndim = max((len(shape) for shape in shapes), default=0)
    result = [1] * ndim
    for shape in shapes:
        for offset, size in enumerate(reversed(shape), 1):
            if result[-offset] == 1:
                result[-offset] = size
            elif size not in (1, result[-offset]):
                listed = ", ".join(str(tuple(s)) for s in shapes)
                raise ShapeError(
                    f"shapes {listed} cannot be broadcast: dim {-offset} has sizes "
                    f"{result[-offset]} and {size}, and neither is 1"
                )
    return tuple(result)
    # END SOLUTION


def _reshape_error(shape: tuple[int, ...], target: tuple[int, ...], reason: str) -> str:
    return f"reshape: cannot turn shape {shape} (size {math.prod(shape)}) into {target}: {reason}"


def infer_shape(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    """``reshape``'s target for a tensor of ``shape``, with a ``-1`` entry worked out.

    At most one entry of ``target`` may be -1: it becomes the size that keeps
    the number of elements (``(2, 3, 4)`` reshaped to ``(4, -1)`` is ``(4, 6)``).
    Without -1 the target is returned as it is.

    Raises:
        ShapeError: more than one -1 ("only one dim can be -1"); a negative
            entry other than -1 ("sizes must be >= 0"); a target whose number
            of elements differs from ``shape``'s, with or without a -1; a -1
            next to a 0 (``(0, 3)`` to ``(0, -1)``: any size fits, so
            "ambiguous"). Every message starts "reshape: cannot turn shape
            <shape> (size <n>) into <target>: <reason>", as
            ``_reshape_error(shape, target, reason)`` writes it.
    """
    # BEGIN SOLUTION
    size = math.prod(shape)
    unknown = target.count(-1)
    if unknown > 1:
        raise ShapeError(_reshape_error(shape, target, "only one dim can be -1"))
    if any(s < -1 for s in target):
        raise ShapeError(_reshape_error(shape, target, "sizes must be >= 0 (or -1 for one dim)"))
    known = math.prod(s for s in target if s != -1)
    if unknown == 0:
        if known != size:
            raise ShapeError(_reshape_error(shape, target, f"{known} elements, not {size}"))
        return target
    if known == 0:
        raise ShapeError(_reshape_error(shape, target, "a -1 next to a 0 is ambiguous"))
    if size % known:
        raise ShapeError(_reshape_error(shape, target, f"{size} is not a multiple of {known}"))
    return tuple(size // known if s == -1 else s for s in target)
    # END SOLUTION


def expand_shape(shape: tuple[int, ...], target: tuple[int, ...]) -> tuple[int, ...]:
    """``expand``'s target for a tensor of ``shape``, with every -1 replaced by the size it keeps.

    As ``torch.Tensor.expand``: ``target`` has at least as many dims as
    ``shape``, aligned from the right; new leading dims may have any size but
    not -1; a -1 keeps the tensor's size in that dim; a size-1 dim may grow
    to any size; any other dim must keep its size. ``(3, 1)`` expanded to
    ``(2, -1, 4)`` is ``(2, 3, 4)``.

    Raises:
        ShapeError: fewer dims than ``shape`` ("fewer dims"); -1 in a new
            leading dim ("-1 is not allowed"); a dim that is not 1 asked to
            change size. Every message starts with "expand:" and names both
            shapes.
    """
    # BEGIN SOLUTION
    offset = len(target) - len(shape)
    if offset < 0:
        raise ShapeError(f"expand: shape {target} has fewer dims than the tensor's {shape}")
    if -1 in target[:offset]:
        raise ShapeError(
            f"expand: -1 is not allowed in a new leading dim of shape {target} (expanding "
            f"shape {shape}): a -1 keeps an existing dim"
        )
    filled = tuple(shape[i - offset] if s == -1 else s for i, s in enumerate(target))
    for dim, size in enumerate(shape):
        if size not in (1, filled[offset + dim]):
            raise ShapeError(
                f"expand: cannot expand shape {shape} to {target}: a dim of size {size} "
                f"can only stay {size} (only size-1 dims grow)"
            )
    return filled
    # END SOLUTION
