"""Indexing: ``x[index]`` and ``x[index] = value`` with NumPy's (and PyTorch's) rules.

An index is one entry or a tuple of entries, read from the left:

| entry | dims of x it uses | in the result |
|---|---|---|
| an int ``i`` | 1 | that dim is gone (``i`` may be negative: -1 is the last) |
| a slice ``a:b:c`` | 1 | that dim, cut to the slice |
| ``None`` | 0 | a new dim of size 1 |
| ``...`` (Ellipsis, at most one) | as many as the other entries leave | those dims, whole |
| a boolean mask of k dims | k (its shape must be theirs) | one dim: the True positions |
| an integer array or Tensor | 1 | its values pick positions (advanced indexing) |

Dims that no entry uses are kept whole, as if a trailing ``...`` were there.
``normalize_index`` checks an index against a shape and writes it in the one
form the ``getitem`` and ``setitem`` ops receive; NumPy's ``x[index]`` then
computes the result.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def index_entry(entry: Any) -> Any:
    """One entry of an index with Tensors and lists replaced by NumPy arrays.

    A Tensor becomes its array; a list becomes an array (an empty list an
    empty int64 array, which selects nothing); every other entry is kept.
    """
    data = getattr(entry, "data", None)
    if isinstance(data, np.ndarray) and not isinstance(entry, np.ndarray):  # a Tensor
        return data
    if isinstance(entry, list):
        return np.asarray(entry, dtype=np.int64) if len(entry) == 0 else np.asarray(entry)
    return entry


def dims_used(entry: Any) -> int:
    """How many dims of the indexed tensor one entry (already through ``index_entry``) uses.

    0 for None, Ellipsis and a Python bool (NumPy reads it as a 0-d mask);
    k for a boolean array of k dims; 1 for everything else.
    """
    if entry is None or entry is Ellipsis or isinstance(entry, (bool, np.bool_)):
        return 0
    if isinstance(entry, np.ndarray) and entry.dtype == np.bool_:
        return entry.ndim
    return 1


def _int_index(op_name: str, index: int, dim: int, shape: tuple[int, ...]) -> int:
    """An int index into dim ``dim`` of ``shape``, counted from 0, or an IndexError."""
    size = shape[dim]
    if not -size <= index < size:
        raise IndexError(
            f"{op_name}: index {index} is out of range for dim {dim} of size "
            f"{size} in shape {shape}"
        )
    return int(index) % size


def _check_mask(op_name: str, mask: np.ndarray, dim: int, shape: tuple[int, ...]) -> None:
    """A boolean mask covering dims ``dim, dim + 1, ...`` of ``shape`` must have their sizes."""
    covered = shape[dim : dim + mask.ndim]
    if mask.shape != covered:
        raise IndexError(
            f"{op_name}: a boolean mask of shape {mask.shape} does not match "
            f"dims {covered} of shape {shape}"
        )


def normalize_index(index: Any, shape: tuple[int, ...], op_name: str = "getitem") -> tuple:
    """``index`` for a tensor of ``shape``, checked, as the tuple the indexing ops receive.

    The result is a tuple in which: every entry has gone through
    ``index_entry`` (no Tensors, no lists); the Ellipsis, if any, is replaced
    by as many ``slice(None)`` as the dims it stands for (possibly none);
    every Python or NumPy int is counted from 0 (``-1`` on a dim of size 3
    becomes 2; a bool is not an int here: NumPy reads ``True`` as a 0-d mask,
    and it is kept). A single entry (not a tuple) is treated as a 1-tuple.
    Slices, None, masks and integer arrays are kept as they are.

    Raises:
        IndexError: with a message starting with ``op_name`` ("getitem:", or
            "setitem:" for ``x[index] = value``) and naming the shape
            (as ``(2, 3)``), for: an int out of range for the dim it indexes
            ("index 5 is out of range for dim 0 of size 2"; the dim is counted
            after the dims used by the entries before it, an Ellipsis
            included); more entries than dims ("too many indices"); two
            Ellipses ("only one Ellipsis"); a boolean mask whose shape is not
            that of the dims it covers ("mask of shape (3,) does not match").
    """
    # BEGIN SOLUTION
    entries = [index_entry(e) for e in (index if isinstance(index, tuple) else (index,))]
    if sum(e is Ellipsis for e in entries) > 1:
        raise IndexError(
            f"{op_name}: index {index!r} for shape {shape} has more than one "
            "Ellipsis (only one Ellipsis is allowed)"
        )
    used = sum(dims_used(e) for e in entries)
    spare = len(shape) - used
    if spare < 0:
        raise IndexError(
            f"{op_name}: too many indices for shape {shape}: index {index!r} uses {used} dims"
        )
    normalized: list[Any] = []
    dim = 0  # the dim of x the next entry indexes
    for entry in entries:
        if entry is Ellipsis:
            normalized += [slice(None)] * spare
            dim += spare
            continue
        if isinstance(entry, (int, np.integer)) and not isinstance(entry, (bool, np.bool_)):
            entry = _int_index(op_name, entry, dim, shape)
        elif isinstance(entry, np.ndarray) and entry.dtype == np.bool_:
            _check_mask(op_name, entry, dim, shape)
        normalized.append(entry)
        dim += dims_used(entry)
    return tuple(normalized)
    # END SOLUTION
