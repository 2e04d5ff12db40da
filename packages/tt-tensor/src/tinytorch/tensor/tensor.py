"""Tensor: an n-dimensional array on NumPy with PyTorch's names.

A Tensor holds a NumPy array in ``.data``. Every operation runs through the
dispatcher (``dispatch.apply``), which computes the result with the op
table's NumPy kernel and lets an installed autograd layer record the graph.
tt-tensor alone computes forward math; ``requires_grad``, ``grad`` and
``grad_fn`` are plain slots here, filled in by tt-autograd.

In-place operations (``add_``, ``+=``, ``x[i] = v``, ...) write into the
tensor's memory, as PyTorch's do, and bump its version counter
(``_version``), which tensors sharing that memory through a view op or
``detach()`` share. Writing ``t.data`` (the NumPy array) directly is not
tracked, as PyTorch's ``.data`` is not.
"""

from __future__ import annotations

import builtins
import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import dispatch
from .errors import DTypeError, ShapeError, check_same_dtype
from .indexing import normalize_index
from .promotion import promote_types, result_type
from .shapes import (
    axis_arg,
    broadcast_shapes,
    dim_index,
    expand_shape,
    infer_shape,
    one_dim,
    reduction_dims,
    shape_arg,
)

DEFAULT_FLOAT = np.float32

_Scalar = (int, float, bool, np.number, np.bool_)


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """``data`` (anything ``np.asarray`` takes, or a Tensor) as the array a new Tensor holds.

    The dtype rules, as ``torch.tensor``:

    - a given ``dtype`` is always used (``Tensor([1, 2], dtype=np.float32)`` is float32);
    - without one, floating point data becomes ``DEFAULT_FLOAT`` (float32), from a
      Python float, a float list or a float64 array alike;
    - integer and boolean data keep their dtype (``[0, 3, 1]`` is int64, a uint8
      array stays uint8, ``[True, False]`` is bool);
    - a Tensor keeps its own dtype (its float64 stays float64) unless ``dtype`` is given;
    - anything else (strings, objects, complex numbers) raises ``DTypeError`` whose
      message names the dtype found and says "expected numbers".

    An array that already has the dtype wanted is used as it is, not copied: the
    Tensor shares its memory (``np.shares_memory(Tensor(a).numpy(), a)`` holds).
    """
    # BEGIN SOLUTION
    if isinstance(data, Tensor):
        data, dtype = data.data, data.dtype if dtype is None else dtype
    array = np.asarray(data, dtype=dtype)
    if dtype is None and array.dtype.kind == "f" and array.dtype != DEFAULT_FLOAT:
        array = array.astype(DEFAULT_FLOAT)
    elif dtype is None and array.dtype.kind not in "fiub":
        raise DTypeError(
            f"Tensor: cannot hold data of dtype {array.dtype}; expected numbers "
            "(floating point, integer or boolean)"
        )
    return array
    # END SOLUTION


class VersionCounter:
    """How many in-place writes a tensor's memory has had (``Tensor._version``).

    One counter is shared by a tensor and the views made from it (reshape,
    permute, expand, basic indexing, ``detach()``), as in PyTorch, so a write
    through any of them is seen by all. ``shared`` records that such a view
    exists.
    """

    __slots__ = ("value", "shared")

    def __init__(self) -> None:
        self.value = 0
        self.shared = False

    def bump(self) -> None:
        self.value += 1


class Tensor:
    """An n-dimensional array of numbers that autograd can differentiate.

    Args:
        data: anything ``numpy.asarray`` accepts, or another Tensor.
        requires_grad: record operations on this tensor so that
            ``backward()`` can compute ``.grad`` (needs tt-autograd).
        dtype: a NumPy dtype; by default floating data becomes float32 and
            integer or boolean data keeps its kind.

    Examples:
        >>> x = Tensor([[1.0, 2.0], [3.0, 4.0]])
        >>> (x * 2 + 1).sum(dim=1)
        tensor([ 8., 16.])
    """

    __slots__ = (
        "data",
        "requires_grad",
        "grad",
        "grad_fn",
        "_output_nr",
        "_version_counter",
        "__weakref__",
    )
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected method

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data: np.ndarray = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn: Any = None
        self._output_nr = 0
        self._version_counter = VersionCounter()
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_array(cls, array: np.ndarray) -> Tensor:
        """Wrap a kernel's output without copying or converting it."""
        tensor = cls.__new__(cls)
        tensor.data = array if isinstance(array, np.ndarray) else np.asarray(array)
        tensor.grad = None
        tensor.grad_fn = None
        tensor._output_nr = 0
        tensor._version_counter = VersionCounter()
        tensor.requires_grad = False
        return tensor

    # ------------------------------------------------------------------ properties

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self):  # noqa: D401 - NumPy's attribute, and PyTorch's method
        """The number of elements (NumPy's ``.size``); called, ``t.size(dim)`` is PyTorch's."""
        return _SizeProxy(self.data)

    @property
    def _version(self) -> int:
        """How many in-place ops changed this tensor's memory (PyTorch's ``_version``)."""
        return self._version_counter.value

    @property
    def is_leaf(self) -> bool:
        """True for tensors no recorded op created (inputs and parameters)."""
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        """All axes reversed (the transpose of a matrix)."""
        return self.permute(tuple(reversed(range(self.ndim))))

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # ------------------------------------------------------------------ conversion

    def numpy(self) -> np.ndarray:
        """The underlying NumPy array (shared, not copied)."""
        return self.data

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item(): only one-element tensors can be converted, got shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def to(self, dtype: Any) -> Tensor:
        """This tensor in ``dtype``: itself if it already has it, else a converted copy.

        The conversion is differentiable between float dtypes.
        """
        return (
            self
            if np.dtype(dtype) == self.dtype
            else dispatch.apply("cast", self, dtype=np.dtype(dtype))
        )

    def float(self) -> Tensor:
        return self.to(np.float32)

    def double(self) -> Tensor:
        return self.to(np.float64)

    def long(self) -> Tensor:
        return self.to(np.int64)

    def bool(self) -> Tensor:
        return self.to(np.bool_)

    def clone(self) -> Tensor:
        return dispatch.apply("copy", self)

    def contiguous(self) -> Tensor:
        return self

    def detach(self) -> Tensor:
        """A tensor sharing this one's data (and version counter), cut off from the graph."""
        detached = Tensor._from_array(self.data)
        dispatch.share_version_counter(detached, self)
        return detached

    def __bool__(self) -> builtins.bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous; "
                "use .any() or .all()"
            )
        return builtins.bool(self.data)

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self.item())

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(", precision=4)
        extras = []
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            name = str(getattr(self.grad_fn, "name", type(self.grad_fn).__name__))
            extras.append(f"grad_fn=<{name[:1].upper()}{name[1:]}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extras) + ")"

    # ------------------------------------------------------------------ autograd hooks

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        """Set ``requires_grad`` in place; only floating point tensors can require gradients."""
        if requires_grad and self.dtype.kind != "f":
            raise DTypeError(
                f"only floating point tensors can require gradients, got dtype {self.dtype}"
            )
        self.requires_grad = requires_grad
        if requires_grad:
            dispatch.autograd_layer()  # load tt-autograd, if installed, before ops are recorded
        return self

    def backward(self, gradient: Any = None, retain_graph: builtins.bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``.grad`` of every leaf that requires grad.

        ``gradient`` is d(loss)/d(self); it may be omitted only for a one-element tensor.
        """
        dispatch.require_autograd_layer("backward()").backward(self, gradient, retain_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor after backward (a leaf keeps it anyway)."""
        if self.grad_fn is not None:
            dispatch.require_autograd_layer("retain_grad()").retain_grad(self)

    # ------------------------------------------------------------------ in place

    def _inplace(self, compute: Callable[[Tensor], Tensor], *operands: Tensor) -> Tensor:
        """Write ``compute(self)`` into this tensor's memory: an in-place op.

        Everything that shares the memory (``b = a``, views, ``.numpy()``)
        sees the new values, and ``_version`` goes up by one, so autograd can
        tell that a value a backward rule saved was overwritten. When the
        autograd layer records the op, it is computed on a copy of the old
        values (the op's rule may need them) and this tensor takes the new
        node as its history, as PyTorch rebases it.
        """
        recorded = _inplace_is_recorded(self, operands)
        result = compute(self.clone() if recorded else self)
        _write_into(self, result.data)
        if recorded:
            self.grad_fn, self._output_nr = result.grad_fn, result._output_nr
            self.requires_grad = result.requires_grad
        return self

    def add_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self += alpha * other, in place."""
        other = other if alpha == 1 else other * alpha
        return self._inplace(lambda old: old + other, *_only_tensors(other))

    def sub_(self, other: Any, *, alpha: Any = 1) -> Tensor:
        """self -= alpha * other, in place."""
        other = other if alpha == 1 else other * alpha
        return self._inplace(lambda old: old - other, *_only_tensors(other))

    def mul_(self, other: Any) -> Tensor:
        return self._inplace(lambda old: old * other, *_only_tensors(other))

    def div_(self, other: Any) -> Tensor:
        """self /= other, in place; an integer tensor cannot hold the float result (as PyTorch)."""
        return self._inplace(lambda old: old / other, *_only_tensors(other))

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace(lambda old: old**exponent, *_only_tensors(exponent))

    def clamp_(self, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
        return self._inplace(lambda old: old.clamp(min, max), *_only_tensors(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask: Tensor, value: Any) -> Tensor:
        """``value`` written where ``mask`` is True, in place (see ``masked_fill``); the mask
        must broadcast to this tensor's shape, which an in-place op keeps."""
        if isinstance(mask, Tensor):
            shape = _masked_shape("masked_fill_", mask, self.shape)
            if shape != self.shape:
                raise ShapeError(
                    f"masked_fill_: a mask of shape {mask.shape} broadcasts the tensor's shape "
                    f"{self.shape} to {shape}; an in-place op keeps the tensor's shape"
                )
        return self._inplace(lambda old: old.masked_fill(mask, value), *_only_tensors(value))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def __ipow__(self, exponent):
        return self.pow_(exponent)

    def __imatmul__(self, other):
        return self._inplace(lambda old: old @ other, *_only_tensors(other))

    def __setitem__(self, index: Any, value: Any) -> None:
        """``x[index] = value``, in place: value (a Tensor or number) broadcasts to x[index].

        The value takes this tensor's dtype (a float written into an integer
        tensor is truncated, as in PyTorch).
        """
        value = self._operand(value)
        given, index = index, normalize_index(index, self.shape, "setitem")
        if _inplace_is_recorded(self, (value,)):
            self._inplace(lambda old: dispatch.apply("setitem", old, value, index=index), value)
            return
        try:
            self.data[index] = value.data
        except (ValueError, IndexError) as error:
            raise type(error)(
                f"setitem: cannot write a value of shape {value.shape} into index {given!r} "
                f"of a tensor of shape {self.shape}: {error}"
            ) from error
        self._version_counter.bump()

    def fill_(self, value: Any) -> Tensor:
        """Every element set to ``value`` (a number or a one-element tensor), in place."""
        self[...] = value
        return self

    def zero_(self) -> Tensor:
        """Every element set to 0, in place."""
        return self.fill_(0)

    def copy_(self, src: Any) -> Tensor:
        """``src`` (broadcast to this shape, cast to this dtype) copied in, in place."""
        self[...] = src if isinstance(src, Tensor) else Tensor(src)
        return self

    # ------------------------------------------------------------------ arithmetic

    def _operand(self, other: Any) -> Tensor:
        """``other`` as a Tensor; Python numbers take this tensor's float dtype."""
        if isinstance(other, Tensor):
            return other
        if (
            isinstance(other, _Scalar)
            and self.dtype.kind == "f"
            and not isinstance(other, builtins.bool)
        ):
            return Tensor._from_array(np.asarray(other, dtype=self.dtype))
        return Tensor(other)

    def _pair(self, other: Any) -> tuple[Tensor, Tensor]:
        """(self, other) in the dtype PyTorch gives a binary op on them (``result_type``).

        ``uint8 + 10`` stays uint8, ``int32 + 1`` int32, ``int64 + 2.5`` is
        float32, and ``float32 + 0-d float64 tensor`` float32: Python numbers
        and 0-d tensors decide the category, not the precision.
        """
        if isinstance(other, Tensor):
            if self.data.dtype is other.data.dtype:  # the usual case, decided at once
                return self, other
        elif self.data.dtype.kind == "f" and type(other) in (float, int):  # as quickly
            return self, Tensor._from_array(np.asarray(other, dtype=self.data.dtype))
        elif not isinstance(other, _Scalar):  # an array or nested list: a tensor with its dims
            other = Tensor(other)
        dtype = result_type(self, other)
        if (
            isinstance(other, Tensor)
            and self.dtype.kind == other.dtype.kind
            and np.promote_types(self.dtype, other.dtype) == dtype
        ):
            return self, other  # the kernel promotes the same way (float32 with float64)
        return _as_dtype(self, dtype), _as_dtype(other, dtype)

    def __add__(self, other):
        return dispatch.apply("add", *self._pair(other))

    def __radd__(self, other):
        a, b = self._pair(other)
        return dispatch.apply("add", b, a)

    def __sub__(self, other):
        return dispatch.apply("sub", *self._pair(other))

    def __rsub__(self, other):
        a, b = self._pair(other)
        return dispatch.apply("sub", b, a)

    def __mul__(self, other):
        return dispatch.apply("mul", *self._pair(other))

    def __rmul__(self, other):
        a, b = self._pair(other)
        return dispatch.apply("mul", b, a)

    def __truediv__(self, other):
        return dispatch.apply("div", *self._pair(other))

    def __rtruediv__(self, other):
        a, b = self._pair(other)
        return dispatch.apply("div", b, a)

    def __neg__(self):
        return dispatch.apply("neg", self)

    def __pos__(self):
        return self

    def __pow__(self, exponent):
        """self ** exponent, with PyTorch's dtypes.

        - A Tensor exponent: both promoted as a binary op (``_pair``), then the
          ``pow_tensor`` op.
        - A Python number exponent: the ``pow`` op (param ``exponent``) on self
          converted to ``result_type(self, exponent)``. So a float32 tensor stays
          float32, ``int ** 2`` stays int64, and ``int ** 0.5`` or ``bool ** 1.5``
          give float32; ``bool ** 2`` gives int64.
        - An integer result dtype with a negative exponent (``int_tensor ** -1``)
          raises ``ValueError`` "integers to negative integer powers are not
          allowed", as PyTorch, before anything runs.
        """
        # BEGIN SOLUTION
        if isinstance(exponent, Tensor):
            return dispatch.apply("pow_tensor", *self._pair(exponent))
        dtype = result_type(self, exponent)
        if dtype.kind in "iu" and exponent < 0:
            raise ValueError(
                f"pow: integers to negative integer powers are not allowed (as in PyTorch): "
                f"a {self.dtype} tensor ** {exponent}; use a float tensor (x.float() ** {exponent})"
            )
        return dispatch.apply("pow", _as_dtype(self, dtype), exponent=exponent)
        # END SOLUTION

    def __rpow__(self, base):
        """base ** self for a number ``base``."""
        exponent, base = self._pair(base)
        return dispatch.apply("pow_tensor", base, exponent)

    def matmul(self, other: Any) -> Tensor:
        """Matrix product; leading dims broadcast as batch dims."""
        other = self._operand(other)
        a, b = self.data, other.data
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul: both operands need at least 1 dim, got shapes {a.shape} and {b.shape}"
            )
        check_same_dtype("matmul", a.dtype, b.dtype)
        return dispatch.apply("matmul", self, other)

    __matmul__ = matmul

    def addmm(self, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:
        """``beta * self + alpha * (mat1 @ mat2)`` for matrices, as ``torch.addmm``.

        ``b.addmm(x, W)`` is a linear layer's ``x @ W + b`` as one op: one
        graph node and one output array instead of two. ``self`` (the bias)
        broadcasts to the product's shape (n, m); all three share one dtype.
        """
        mat1, mat2 = self._operand(mat1), self._operand(mat2)
        a, b = mat1.data, mat2.data
        if a.ndim != 2 or b.ndim != 2:
            raise ValueError(
                f"addmm: mat1 and mat2 must be matrices (2 dims), got shapes {a.shape} and "
                f"{b.shape}; use matmul (@) for vectors and batches"
            )
        check_same_dtype("addmm", a.dtype, b.dtype)
        check_same_dtype("addmm", self.data.dtype, a.dtype)
        return dispatch.apply("addmm", self, mat1, mat2, beta=beta, alpha=alpha)

    def __rmatmul__(self, other):
        return self._operand(other).matmul(self)

    # comparisons give boolean tensors
    def __eq__(self, other):  # type: ignore[override]
        return dispatch.apply("eq", self, self._operand(other))

    def __ne__(self, other):  # type: ignore[override]
        return dispatch.apply("ne", self, self._operand(other))

    def __lt__(self, other):
        return dispatch.apply("lt", self, self._operand(other))

    def __le__(self, other):
        return dispatch.apply("le", self, self._operand(other))

    def __gt__(self, other):
        return dispatch.apply("gt", self, self._operand(other))

    def __ge__(self, other):
        return dispatch.apply("ge", self, self._operand(other))

    # ------------------------------------------------------------------ elementwise functions

    def exp(self) -> Tensor:
        return dispatch.apply("exp", self)

    def log(self) -> Tensor:
        return dispatch.apply("log", self)

    def sqrt(self) -> Tensor:
        return dispatch.apply("sqrt", self)

    def abs(self) -> Tensor:
        return dispatch.apply("abs", self)

    def sin(self) -> Tensor:
        return dispatch.apply("sin", self)

    def cos(self) -> Tensor:
        return dispatch.apply("cos", self)

    def tanh(self) -> Tensor:
        return dispatch.apply("tanh", self)

    def sigmoid(self) -> Tensor:
        return dispatch.apply("sigmoid", self)

    def relu(self) -> Tensor:
        return dispatch.apply("relu", self)

    def pow(self, exponent) -> Tensor:
        return self**exponent

    def maximum(self, other) -> Tensor:
        return dispatch.apply("maximum", *self._pair(other))

    def minimum(self, other) -> Tensor:
        return dispatch.apply("minimum", *self._pair(other))

    def clip(self, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
        """Clamp into [min, max]; alias ``clamp``. Either bound may be a number, a
        Tensor (broadcast against this one) or None, but not both None.

        A float bound on an integer or boolean tensor gives float32, as in
        PyTorch (clipping [1, 2, 3] to [0.5, 1.5] is [1.0, 1.5, 1.5]).
        """
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            return _clamp_to_tensors(self, min, max)
        if self.data.dtype.kind in "iub" and any(_is_float(b) for b in (min, max)):
            return self.float().clip(min, max)
        return dispatch.apply("clip", self, min=min, max=max)

    clamp = clip

    # ------------------------------------------------------------------ reductions

    def _reduce(self, op: str, axis, keepdims, dim, keepdim, **params) -> Tensor:
        """Run reduction ``op`` (sum, mean, max, ...) through the dispatcher.

        Accepts NumPy's spelling (``axis``, ``keepdims``) and PyTorch's (``dim``,
        ``keepdim``): giving both ``axis`` and ``dim`` is a TypeError ("give
        either axis or dim, not both"); ``keepdim``, when not None, wins over
        ``keepdims``. ``axis``/``dim`` is None (every dim), an int or a tuple or
        list of ints, negative ones counting from the end; out-of-range and
        repeated dims raise as ``reduction_dims`` says, naming ``op``.

        The op receives ``axis`` as None, an int in ``range(ndim)`` or a tuple of
        them (never negative: backward rules rely on it), ``keepdims`` as a
        bool, and ``params`` unchanged (var's ``correction``).
        """
        # BEGIN SOLUTION
        keep = keepdims if keepdim is None else keepdim
        axis = reduction_dims(op, axis_arg(axis, dim, op), self.ndim)
        return dispatch.apply(op, self, axis=axis, keepdims=bool(keep), **params)
        # END SOLUTION

    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """Sum over ``axis``/``dim`` (every axis when None)."""
        return self._reduce("sum", axis, keepdims, dim, keepdim)

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        return self._reduce("mean", axis, keepdims, dim, keepdim)

    def max(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """The largest values over ``axis`` (values only; use ``argmax`` for indices)."""
        return self._reduce("max", axis, keepdims, dim, keepdim)

    def min(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        """The smallest values over ``axis`` (values only; use ``argmin`` for indices)."""
        return self._reduce("min", axis, keepdims, dim, keepdim)

    def var(
        self, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=1, unbiased=None
    ) -> Tensor:
        """Variance with Bessel's correction by default, as ``torch.var``."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        return self._reduce("var", axis, keepdims, dim, keepdim, correction=correction)

    def std(
        self, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=1, unbiased=None
    ) -> Tensor:
        """Standard deviation, sqrt(var), as ``torch.std`` (its gradient is 0 on a constant row)."""
        if unbiased is not None:
            correction = 1 if unbiased else 0
        return self._reduce("std", axis, keepdims, dim, keepdim, correction=correction)

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        return self._reduce("argmax", axis, keepdims, dim, keepdim)

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None) -> Tensor:
        return self._reduce("argmin", axis, keepdims, dim, keepdim)

    def softmax(self, dim: int = -1) -> Tensor:
        """softmax along ``dim``: e^x / sum(e^x), computed stably (max-subtracted)."""
        return dispatch.apply("softmax", self, axis=dim)

    def log_softmax(self, dim: int = -1) -> Tensor:
        """log(softmax(x)) along ``dim``, computed stably without forming softmax."""
        return dispatch.apply("log_softmax", self, axis=dim)

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape) -> Tensor:
        """The same elements in a new shape; one dim may be -1 (see ``infer_shape``)."""
        shape = infer_shape(self.shape, shape_arg(shape))
        return self if shape == self.shape else dispatch.apply("reshape", self, shape=shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dims ``start_dim`` to ``end_dim`` merged into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start = dim_index("flatten", start_dim, self.ndim)
        end = dim_index("flatten", end_dim, self.ndim)
        if start > end:
            raise ValueError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                f"in shape {self.shape}"
            )
        merged = math.prod(self.shape[start : end + 1])  # not -1: size 0 is ambiguous
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1 :])

    def permute(self, *dims) -> Tensor:
        """Axes reordered: output axis i is input axis ``dims[i]``, as ``torch.permute``.

        ``dims`` (given as ``permute(2, 0, 1)`` or ``permute((2, 0, 1))``) names
        every dim of self exactly once; negative dims count from the end. The
        ``permute`` op receives ``dims`` as a tuple of ints in ``range(ndim)``.
        A 0-d tensor takes ``permute()``. Anything that is not such a
        permutation (a dim missing, repeated or out of range, too few or too
        many dims) raises ``ValueError`` "permute: dims ... are not a
        permutation of the <ndim> dims of shape <shape>".
        """
        # BEGIN SOLUTION
        dims = shape_arg(dims)
        in_range = all(-self.ndim <= d < self.ndim for d in dims)
        if not in_range or sorted(d % self.ndim for d in dims) != list(range(self.ndim)):
            raise ValueError(
                f"permute: dims {dims} are not a permutation of the {self.ndim} dims "
                f"of shape {self.shape}"
            )
        return dispatch.apply("permute", self, dims=tuple(d % self.ndim for d in dims))
        # END SOLUTION

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        """Swap two dims (the last two by default)."""
        dim0 = dim_index("transpose", dim0, self.ndim)
        dim1 = dim_index("transpose", dim1, self.ndim)
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(tuple(dims))

    def expand(self, *shape) -> Tensor:
        """A read-only view broadcast to ``shape``, without copying; -1 keeps a dim
        (see ``expand_shape``)."""
        return dispatch.apply("expand", self, shape=expand_shape(self.shape, shape_arg(shape)))

    broadcast_to = expand

    def squeeze(self, dim: int | None = None) -> Tensor:
        """Remove size-1 dims, as ``torch.squeeze``: every one when ``dim`` is None, else only
        ``dim`` (negative counts from the end).

        A ``dim`` whose size is not 1 is kept (no error, as PyTorch); a 0-d
        tensor takes dim 0 or -1 and stays 0-d; a dim out of range raises
        IndexError as ``dim_index`` says, naming "squeeze". Through ``reshape``.
        """
        # BEGIN SOLUTION
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dim = dim_index("squeeze", dim, max(self.ndim, 1))  # a 0-d tensor takes 0 or -1
        if self.ndim == 0 or self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1 :])
        # END SOLUTION

    def unsqueeze(self, dim: int) -> Tensor:
        """A size-1 dim inserted so that it is dim ``dim`` of the result, as ``torch.unsqueeze``.

        The result has ``ndim + 1`` dims, so ``dim`` ranges over
        ``[-(ndim + 1), ndim]``; negative counts from the end of the *result*
        (``unsqueeze(-1)`` appends a dim: (2,) becomes (2, 1)). Out of range
        raises IndexError as ``dim_index`` says, naming "unsqueeze". Through ``reshape``.
        """
        # BEGIN SOLUTION
        dim = dim_index("unsqueeze", dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])
        # END SOLUTION

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing with ints, slices, None, Ellipsis, boolean masks and integer arrays."""
        return dispatch.apply("getitem", self, index=normalize_index(index, self.shape))

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # ------------------------------------------------------------------ operators by name

    def add(self, other, *, alpha=1) -> Tensor:
        """self + alpha * other."""
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1) -> Tensor:
        """self - alpha * other."""
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other) -> Tensor:
        return self * other

    def div(self, other) -> Tensor:
        return self / other

    def neg(self) -> Tensor:
        return -self

    def eq(self, other) -> Tensor:
        return self == other

    def ne(self, other) -> Tensor:
        return self != other

    def lt(self, other) -> Tensor:
        return self < other

    def le(self, other) -> Tensor:
        return self <= other

    def gt(self, other) -> Tensor:
        return self > other

    def ge(self, other) -> Tensor:
        return self >= other

    # ------------------------------------------------------------------ integer division

    def __floordiv__(self, other):
        return dispatch.apply("floor_divide", *self._pair(other))

    def __rfloordiv__(self, other):
        a, b = self._pair(other)
        return dispatch.apply("floor_divide", b, a)

    def __mod__(self, other):
        return dispatch.apply("remainder", *self._pair(other))

    def __rmod__(self, other):
        a, b = self._pair(other)
        return dispatch.apply("remainder", b, a)

    def floor_divide(self, other) -> Tensor:
        """floor(self / other), ``//``: rounds toward minus infinity; no gradient, as PyTorch."""
        return self // other

    def remainder(self, other) -> Tensor:
        """self - other * floor(self / other), ``%``: the result has the sign of ``other``."""
        return self % other

    # ------------------------------------------------------------------ scans, products, tests

    def cumsum(self, dim: int, *, dtype=None) -> Tensor:
        """Running sum along ``dim``: y_i = x_0 + ... + x_i (integers and booleans give int64)."""
        x = self if dtype is None else self.to(dtype)
        if x.ndim == 0:  # a 0-d tensor is its own running sum
            dim_index("cumsum", dim, 1)
            return dispatch.apply("cumsum", x.reshape(1), axis=0).reshape(())
        return dispatch.apply("cumsum", x, axis=dim_index("cumsum", dim, x.ndim))

    def prod(self, dim: int | None = None, keepdim: builtins.bool = False, *, dtype=None) -> Tensor:
        """Product of the elements over ``dim`` (all of them when None), as ``torch.prod``."""
        x = self if dtype is None else self.to(dtype)
        return dispatch.apply("prod", x, axis=one_dim("prod", dim, x.ndim), keepdims=keepdim)

    def amax(self, dim=(), keepdim: builtins.bool = False) -> Tensor:
        """The largest values over ``dim`` (an int or a tuple; every dim when empty).

        Elements that tie for the maximum share its gradient evenly, as ``torch.amax``.
        """
        return dispatch.apply(
            "max", self, axis=reduction_dims("amax", dim, self.ndim), keepdims=keepdim
        )

    def amin(self, dim=(), keepdim: builtins.bool = False) -> Tensor:
        """The smallest values over ``dim``; ties share the gradient evenly, as ``torch.amin``."""
        return dispatch.apply(
            "min", self, axis=reduction_dims("amin", dim, self.ndim), keepdims=keepdim
        )

    def any(self, dim=None, keepdim: builtins.bool = False) -> Tensor:
        """Boolean tensor: True where some element over ``dim`` (all dims when None) is nonzero."""
        return dispatch.apply(
            "any", self, axis=reduction_dims("any", dim, self.ndim), keepdims=keepdim
        )

    def all(self, dim=None, keepdim: builtins.bool = False) -> Tensor:
        """Boolean tensor: True where every element over ``dim`` (all dims when None) is nonzero."""
        return dispatch.apply(
            "all", self, axis=reduction_dims("all", dim, self.ndim), keepdims=keepdim
        )

    # ------------------------------------------------------------------ ordering and gathering

    def argsort(self, dim: int = -1, descending: builtins.bool = False, *, stable=False) -> Tensor:
        """The int64 indices that sort along ``dim``; always stable (ties keep their order)."""
        if self.ndim == 0:
            dim_index("argsort", dim, 1)
            return Tensor._from_array(np.zeros((), dtype=np.int64))
        axis = dim_index("argsort", dim, self.ndim)
        return dispatch.apply("argsort", self, axis=axis, descending=builtins.bool(descending))

    def sort(self, dim: int = -1, descending: builtins.bool = False, *, stable=False):
        """``(values, indices)`` sorted along ``dim``, as ``torch.sort``; always stable.

        The values are ``self.gather(dim, indices)``, so their gradient flows
        back through gather to the positions they came from. NaN sorts last
        (first when descending), as in PyTorch.
        """
        indices = self.argsort(dim, descending)
        return ValuesIndices(self.gather(dim, indices), indices)

    def topk(self, k: int, dim: int = -1, largest: builtins.bool = True, sorted=True):
        """``(values, indices)`` of the k largest (smallest when not ``largest``) along ``dim``.

        As ``torch.topk``; the values always come sorted, ties in their original order.
        """
        axis = dim_index("topk", dim, builtins.max(self.ndim, 1))
        size = self.shape[axis] if self.ndim else 1
        if not 0 <= k <= size:
            raise IndexError(
                f"topk: k={k} is out of range for dim {dim} of shape {self.shape}: "
                f"expected 0 <= k <= {size}"
            )
        indices = self.argsort(dim, descending=largest)
        if self.ndim:
            indices = indices[(slice(None),) * axis + (slice(0, k),)]
        return ValuesIndices(self.gather(dim, indices), indices)

    def gather(self, dim: int, index: Tensor) -> Tensor:
        """Values picked along ``dim`` by ``index`` (``torch.gather``), in the shape of index.

        For a 2-D tensor: ``out[i][j] = self[index[i][j]][j]`` (dim 0) and
        ``out[i][j] = self[i][index[i][j]]`` (dim 1).
        """
        axis = dim_index("gather", dim, builtins.max(self.ndim, 1))
        _check_gather_index(self, axis, index)
        if self.ndim == 0:
            return dispatch.apply("gather", self.reshape(1), index.reshape(1), axis=0).reshape(())
        return dispatch.apply("gather", self, index, axis=axis)

    # ------------------------------------------------------------------ copies, pieces and masks

    def masked_fill(self, mask: Tensor, value: Any) -> Tensor:
        """``value`` where ``mask`` is True, self elsewhere, as ``torch.masked_fill``.

        ``mask`` is a boolean tensor that broadcasts with self; ``value`` is a
        number or a 0-d tensor, taken in self's dtype (a 0-d tensor that requires
        grad receives the gradient of every element it filled).
        """
        if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
            got = f"dtype {mask.dtype}" if isinstance(mask, Tensor) else type(mask).__name__
            raise DTypeError(
                f"masked_fill: expected a boolean mask tensor, got {got}; make one with a "
                "comparison (x > 0) or .bool()"
            )
        if isinstance(value, Tensor) and value.ndim != 0:
            raise ValueError(
                f"masked_fill: expected a number or a 0-d tensor as value, got a tensor of "
                f"shape {value.shape}"
            )
        _masked_shape("masked_fill", mask, self.shape)
        fill = value if isinstance(value, Tensor) else Tensor._from_array(np.asarray(value))
        return where(mask, fill.to(self.dtype), self)

    def repeat(self, *sizes) -> Tensor:
        """self tiled ``sizes[d]`` times along each dim d, as ``Tensor.repeat`` in PyTorch.

        Sizes beyond self's dims add leading dims: (2, 3) repeated (4, 1, 2) is (4, 2, 6).
        """
        repeats = shape_arg(sizes)
        if len(repeats) < self.ndim or builtins.min(repeats, default=0) < 0:
            raise ValueError(
                f"repeat: expected at least {self.ndim} non-negative sizes (one per dim of "
                f"shape {self.shape}), got {repeats}"
            )
        return dispatch.apply("repeat", self, repeats=repeats)

    def split(self, split_size_or_sections, dim: int = 0) -> tuple[Tensor, ...]:
        """Pieces along ``dim``: of ``split_size`` each (the last may be smaller), or of the
        listed sizes, which must add up to the dim's size (``torch.split``)."""
        axis = dim_index("split", dim, self.ndim)
        size = self.shape[axis]
        if isinstance(split_size_or_sections, (list, tuple)):
            sizes = [int(s) for s in split_size_or_sections]
            if builtins.sum(sizes) != size or builtins.min(sizes, default=0) < 0:
                raise ValueError(
                    f"split: sizes {sizes} must be non-negative and add up to {size}, the size "
                    f"of dim {dim} of shape {self.shape}"
                )
        else:
            step = int(split_size_or_sections)
            if step < 0 or (step == 0 and size > 0):
                raise ValueError(
                    f"split: split_size must be positive (0 only for an empty dim), got {step} "
                    f"for dim {dim} of shape {self.shape}"
                )
            starts = range(0, size, step) if size else range(1)  # an empty dim: one empty piece
            sizes = [builtins.min(step, size - start) for start in starts]
        return self._pieces(axis, sizes)

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
        """At most ``chunks`` pieces of equal size along ``dim`` (the last may be smaller).

        As ``torch.chunk``: each piece has ceil(size / chunks) elements, so fewer
        pieces can come back (6 in 4 chunks gives 3 pieces of 2).
        """
        if chunks <= 0:
            raise ValueError(f"chunk: expected chunks > 0, got {chunks}")
        axis = dim_index("chunk", dim, self.ndim)
        size = self.shape[axis]
        if size == 0:
            return self._pieces(axis, [0] * chunks)
        return self.split(-(-size // chunks), dim)

    def _pieces(self, axis: int, sizes: list[int]) -> tuple[Tensor, ...]:
        """Consecutive slices of the given sizes along ``axis``."""
        starts = np.cumsum([0, *sizes[:-1]])
        before = (slice(None),) * axis
        return tuple(
            self[(*before, slice(int(start), int(start) + n))]
            for start, n in zip(starts, sizes, strict=True)
        )

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two dims (j - i <= diagonal), zeros above it."""
        _check_matrix("tril", self)
        return dispatch.apply("tril", self, diagonal=int(diagonal))

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two dims (j - i >= diagonal), zeros below it."""
        _check_matrix("triu", self)
        return dispatch.apply("triu", self, diagonal=int(diagonal))


class _SizeProxy(int):
    """``t.size`` is NumPy's element count; ``t.size()`` and ``t.size(dim)`` follow PyTorch."""

    def __new__(cls, array: np.ndarray):
        proxy = super().__new__(cls, array.size)
        proxy._shape = array.shape
        return proxy

    def __call__(self, dim: int | None = None):
        return self._shape if dim is None else self._shape[dim]


class ValuesIndices(NamedTuple):
    """What ``sort`` and ``topk`` return, as PyTorch's named tuples: ``values, indices = ...``.

    ``indices`` are int64 and never carry a gradient.
    """

    values: Tensor
    indices: Tensor


def _check_matrix(op_name: str, x: Tensor) -> None:
    if x.ndim < 2:
        raise ValueError(
            f"{op_name}: expected a tensor with at least 2 dims (a matrix or a batch of "
            f"them), got shape {x.shape}"
        )


def _check_gather_index(x: Tensor, axis: int, index: Any) -> None:
    """torch.gather's rules: an integer tensor with x's number of dims, no larger than x
    outside ``axis``, with values in [0, x.shape[axis])."""
    if not isinstance(index, Tensor) or index.dtype.kind not in "iu":
        got = f"dtype {index.dtype}" if isinstance(index, Tensor) else type(index).__name__
        raise DTypeError(f"gather: expected an integer (int64) index tensor, got {got}")
    shape = x.shape or (1,)
    index_shape = index.shape or (1,)
    if len(index_shape) != len(shape):
        raise ShapeError(
            f"gather: the index must have as many dims as the input: got index shape "
            f"{index.shape} for input shape {x.shape}"
        )
    if any(i > s for d, (i, s) in enumerate(zip(index_shape, shape, strict=True)) if d != axis):
        raise ShapeError(
            f"gather: index shape {index.shape} must be no larger than input shape {x.shape} "
            f"in every dim but dim {axis}"
        )
    if index.data.size and not 0 <= index.data.min() <= index.data.max() < shape[axis]:
        raise IndexError(
            f"gather: index values must lie in [0, {shape[axis]}) for dim {axis} of input "
            f"shape {x.shape}, got values from {index.data.min()} to {index.data.max()}"
        )


def _masked_shape(op_name: str, mask: Tensor, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of ``masked_fill``'s result: the mask's and the tensor's, broadcast.

    Shapes that do not broadcast are a ShapeError naming the op and the two
    shapes, once each (raised on its own, not chained to ``broadcast_shapes``'s).
    """
    try:
        return broadcast_shapes(mask.shape, shape)
    except ShapeError:
        pass
    raise ShapeError(
        f"{op_name}: a mask of shape {mask.shape} does not broadcast with the tensor's "
        f"shape {shape}"
    )


def _inplace_is_recorded(tensor: Tensor, operands: tuple[Tensor, ...]) -> bool:
    """Ask the autograd layer, if any, whether an in-place op on ``tensor`` is recorded.

    (No layer is loaded yet only while no tensor has required grad: nothing to record.)
    """
    layer = dispatch._layer
    if layer is None or not layer.check_inplace(tensor, operands):
        return False
    if tensor._version_counter.shared:
        raise RuntimeError(
            f"an in-place operation on a tensor of shape {tensor.shape} that shares its memory "
            "with another tensor (a view made by reshape, permute, expand, indexing or "
            "detach()) while gradients are recorded: tinytorch cannot update the other "
            "tensor's history. Apply the op to a clone() (x = x.clone(); x += ...), use the "
            "out-of-place op (x = x + ...), or run it under no_grad()"
        )
    return True


def _write_into(tensor: Tensor, result: np.ndarray) -> None:
    """Copy an in-place op's ``result`` into ``tensor``'s memory and bump its version."""
    if result.shape != tensor.data.shape:
        raise ShapeError(
            f"in-place op: the result has shape {result.shape}, but the tensor it writes "
            f"into has shape {tensor.data.shape}; an in-place op cannot change (broadcast) "
            "the shape of the tensor it modifies"
        )
    if not np.can_cast(result.dtype, tensor.data.dtype, casting="same_kind"):
        raise DTypeError(
            f"in-place op: result type {result.dtype} can't be cast to the tensor's dtype "
            f"{tensor.data.dtype} (as in PyTorch); use the out-of-place op (x = x + ...) or "
            "convert the tensor first"
        )
    if not tensor.data.flags.writeable:
        raise ValueError(
            f"in-place op on a read-only tensor of shape {tensor.data.shape} (an expand() or "
            "broadcast_to() view, whose elements share memory); clone() it first"
        )
    np.copyto(tensor.data, result, casting="same_kind")
    tensor._version_counter.bump()


def _is_float(value: Any) -> bool:
    return isinstance(value, (float, np.floating))


def _clamp_to_tensors(x: Tensor, low: Any, high: Any) -> Tensor:
    """clamp with tensor bounds, composed from ``where`` as ``min(max(x, low), high)``.

    Values below ``low`` become ``low``, then values above ``high`` become
    ``high`` (so ``high`` wins where low > high, as in torch.clamp); NaN stays
    NaN. The gradient goes to whichever of x, low and high was kept.
    """
    out = x
    if low is not None:
        out = where(out < low, low, out)
    if high is not None:
        out = where(out > high, high, out)
    return out


def _only_tensors(*values: Any) -> tuple[Tensor, ...]:
    """The Tensors among an op's operands (the ones that may require grad)."""
    return tuple([v for v in values if isinstance(v, Tensor)])


def _as_dtype(value: Any, dtype: np.dtype) -> Tensor:
    """A Tensor or Python number as a Tensor of ``dtype`` (a number wraps as NumPy casts it)."""
    if isinstance(value, Tensor):
        return value if value.data.dtype == dtype else value.to(dtype)
    return Tensor._from_array(np.asarray(value).astype(dtype))


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)`` (``torch.addmm``); see ``Tensor.addmm``.

    A Python number as ``input`` takes mat1's float dtype, as in ``mat1 + number``.
    """
    mat1 = mat1 if isinstance(mat1, Tensor) else Tensor(mat1)
    return mat1._operand(input).addmm(mat1, mat2, beta=beta, alpha=alpha)


def _tensors(values: Sequence[Any]) -> list[Tensor]:
    """Tensors of one dtype, promoted as ``torch.cat`` does (int64 with float32 is float32)."""
    tensors = [v if isinstance(v, Tensor) else Tensor(v) for v in values]
    dtype = functools.reduce(promote_types, [t.data.dtype for t in tensors])
    return [_as_dtype(t, dtype) for t in tensors]


def cat(tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``); the axis defaults to 0."""
    if len(tensors) == 0:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    axis = axis_arg(axis, dim, "cat")
    return dispatch.apply("cat", *_tensors(tensors), axis=0 if axis is None else axis)


def stack(tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join tensors along a new axis (``torch.stack``); the axis defaults to 0."""
    if len(tensors) == 0:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    axis = axis_arg(axis, dim, "stack")
    return dispatch.apply("stack", *_tensors(tensors), axis=0 if axis is None else axis)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if condition else b`` (``torch.where``)."""
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    if condition.dtype != np.bool_:
        raise DTypeError(f"where: condition must be a boolean tensor, got dtype {condition.dtype}")
    dtype = result_type(a, b)
    return dispatch.apply("where", condition, _as_dtype(a, dtype), _as_dtype(b, dtype))


dispatch.register_tensor_type(Tensor)
