"""Tensor: an n-dimensional array on NumPy with PyTorch's names.

A Tensor holds a NumPy array in ``.data``. Every operation runs through the
dispatcher (``dispatch.apply``), which computes the result with the op
table's NumPy kernel and lets an installed autograd layer record the graph.
tt-tensor alone computes forward math; ``requires_grad``, ``grad`` and
``grad_fn`` are plain slots here, filled in by tt-autograd.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import dispatch
from .errors import DTypeError, check_same_dtype

DEFAULT_FLOAT = np.float32

_Scalar = (int, float, bool, np.number, np.bool_)


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """Convert ``data`` to an array: floats become float32 unless a dtype is given.

    Integer and boolean data keep their kind (labels and indices stay int64);
    a Tensor keeps its dtype.
    """
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


def _axis_arg(axis, dim):
    """PyTorch spells ``axis`` as ``dim``; accept either, not both."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give either axis or dim, not both")
        axis = dim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis


def _dim_index(op_name: str, dim: int, ndim: int) -> int:
    """``dim`` counted from 0 in a tensor of ``ndim`` dims (negative counts from the end)."""
    if not -ndim <= dim < ndim:
        raise IndexError(
            f"{op_name}: dim {dim} is out of range: expected a dim from {-ndim} to {ndim - 1}"
        )
    return dim % ndim


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` alike, as PyTorch does."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


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
        "__weakref__",
    )
    __array_priority__ = 1000  # ndarray <op> Tensor defers to Tensor's reflected method

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None) -> None:
        self.data: np.ndarray = _to_array(data, dtype)
        self.grad: Tensor | None = None
        self.grad_fn: Any = None
        self._output_nr = 0
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
        """A tensor sharing this one's data, cut off from the graph."""
        return Tensor._from_array(self.data)

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

    def zero_(self) -> Tensor:
        """Fill with zeros in place (on the data; not recorded)."""
        self.data[...] = 0
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
        """(self, other) ready for a binary op, promoted as PyTorch does for Python numbers.

        A float number with an integer or boolean tensor gives float32 (the
        default dtype), not NumPy's float64; an integer or boolean tensor with a
        float tensor takes the float tensor's dtype (NumPy would make int64 with
        float32 float64).
        """
        if isinstance(other, Tensor):
            if self.data.dtype is other.data.dtype:  # the usual case, decided at once
                return self, other
            return _float_category_wins(self, other)
        if _is_float(other) and self.dtype.kind in "iub":
            return self.float(), Tensor._from_array(np.asarray(other, dtype=DEFAULT_FLOAT))
        return self, self._operand(other)

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
        if isinstance(exponent, _Scalar):
            return dispatch.apply("pow", self, exponent=exponent)
        # a ** b = exp(b * log(a)), defined for a > 0
        return (self._operand(exponent) * self.log()).exp()

    def __rpow__(self, base):
        # base ** x = exp(x * log(base)), defined for base > 0
        return (self * self._operand(base).log()).exp()

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
        """Clamp into [min, max]; alias ``clamp``.

        A float bound on an integer or boolean tensor gives float32, as in
        PyTorch (clipping [1, 2, 3] to [0.5, 1.5] is [1.0, 1.5, 1.5]).
        """
        if self.data.dtype.kind in "iub" and any(_is_float(b) for b in (min, max)):
            return self.float().clip(min, max)
        return dispatch.apply("clip", self, min=min, max=max)

    clamp = clip

    # ------------------------------------------------------------------ reductions

    def _reduce(self, op: str, axis, keepdims, dim, keepdim, **params) -> Tensor:
        """Run reduction ``op`` accepting NumPy's axis/keepdims and PyTorch's dim/keepdim."""
        keep = keepdims if keepdim is None else keepdim
        return dispatch.apply(op, self, axis=_axis_arg(axis, dim), keepdims=keep, **params)

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

    def std(self, axis=None, keepdims=False, *, dim=None, keepdim=None, correction=1) -> Tensor:
        return self.var(axis, keepdims, dim=dim, keepdim=keepdim, correction=correction).sqrt()

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

    def any(self) -> builtins.bool:
        return builtins.bool(self.data.any())

    def all(self) -> builtins.bool:
        return builtins.bool(self.data.all())

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape) -> Tensor:
        """The same elements in a new shape; one dim may be -1."""
        shape = _shape_arg(shape)
        return self if shape == self.shape else dispatch.apply("reshape", self, shape=shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Dims ``start_dim`` to ``end_dim`` merged into one."""
        if self.ndim == 0:
            return self.reshape(1)
        start = _dim_index("flatten", start_dim, self.ndim)
        end = _dim_index("flatten", end_dim, self.ndim)
        if start > end:
            raise ValueError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                f"in shape {self.shape}"
            )
        merged = math.prod(self.shape[start : end + 1])  # not -1: size 0 is ambiguous
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1 :])

    def permute(self, *dims) -> Tensor:
        """Axes reordered: output axis i is input axis ``dims[i]``."""
        dims = _shape_arg(dims)
        in_range = all(-self.ndim <= d < self.ndim for d in dims)
        if not in_range or sorted(d % self.ndim for d in dims) != list(range(self.ndim)):
            raise ValueError(
                f"permute: dims {dims} are not a permutation of the {self.ndim} dims "
                f"of shape {self.shape}"
            )
        return dispatch.apply("permute", self, dims=tuple(d % self.ndim for d in dims))

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        """Swap two dims (the last two by default)."""
        dim0 = _dim_index("transpose", dim0, self.ndim)
        dim1 = _dim_index("transpose", dim1, self.ndim)
        dims = list(range(self.ndim))
        dims[dim0], dims[dim1] = dims[dim1], dims[dim0]
        return self.permute(tuple(dims))

    def expand(self, *shape) -> Tensor:
        """Broadcast to ``shape`` without copying; -1 keeps a dim."""
        shape = _shape_arg(shape)
        offset = len(shape) - self.ndim
        if offset < 0:
            raise ValueError(f"expand: shape {shape} has fewer dims than the tensor's {self.shape}")
        if -1 in shape[:offset]:
            raise ValueError(f"expand: -1 is not allowed in a new leading dim of shape {shape}")
        shape = tuple(self.shape[i - offset] if s == -1 else s for i, s in enumerate(shape))
        return dispatch.apply("expand", self, shape=shape)

    broadcast_to = expand

    def squeeze(self, dim: int | None = None) -> Tensor:
        """Remove size-1 dims (only ``dim`` when given; a dim of another size stays, as PyTorch)."""
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dim = _dim_index("squeeze", dim, max(self.ndim, 1))  # a 0-d tensor takes 0 or -1
        if self.ndim == 0 or self.shape[dim] != 1:
            return self
        return self.reshape(self.shape[:dim] + self.shape[dim + 1 :])

    def unsqueeze(self, dim: int) -> Tensor:
        """Insert a size-1 dim at ``dim`` (negative counts from the end of the new shape)."""
        dim = _dim_index("unsqueeze", dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def __getitem__(self, index: Any) -> Tensor:
        """Indexing with ints, slices, None, Ellipsis, boolean masks and integer arrays."""
        return dispatch.apply("getitem", self, index=_index_arg(index))

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


class _SizeProxy(int):
    """``t.size`` is NumPy's element count; ``t.size()`` and ``t.size(dim)`` follow PyTorch."""

    def __new__(cls, array: np.ndarray):
        proxy = super().__new__(cls, array.size)
        proxy._shape = array.shape
        return proxy

    def __call__(self, dim: int | None = None):
        return self._shape if dim is None else self._shape[dim]


def _is_float(value: Any) -> bool:
    return isinstance(value, (float, np.floating))


def _float_category_wins(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """(a, b) promoted across categories as PyTorch does.

    With one float and one integer or boolean tensor, the other takes the
    float one's dtype. Within a category NumPy's promotion applies, as in
    PyTorch for tensors with dims: float32 with float64 gives float64.
    """
    a_float, b_float = a.data.dtype.kind == "f", b.data.dtype.kind == "f"
    if a_float and not b_float:
        return a, b.to(a.data.dtype)
    if b_float and not a_float:
        return a.to(b.data.dtype), b
    return a, b


def _index_arg(index: Any) -> Any:
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple([i.data if isinstance(i, Tensor) else i for i in index])
    if isinstance(index, list):
        return np.asarray(index, dtype=np.int64) if len(index) == 0 else np.asarray(index)
    return index


def addmm(input: Any, mat1: Any, mat2: Any, *, beta: float = 1, alpha: float = 1) -> Tensor:  # noqa: A002
    """``beta * input + alpha * (mat1 @ mat2)`` (``torch.addmm``); see ``Tensor.addmm``.

    A Python number as ``input`` takes mat1's float dtype, as in ``mat1 + number``.
    """
    mat1 = mat1 if isinstance(mat1, Tensor) else Tensor(mat1)
    return mat1._operand(input).addmm(mat1, mat2, beta=beta, alpha=alpha)


def _tensors(values: Sequence[Any]) -> list[Tensor]:
    return [v if isinstance(v, Tensor) else Tensor(v) for v in values]


def cat(tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing axis (``torch.cat``); the axis defaults to 0."""
    if len(tensors) == 0:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    axis = _axis_arg(axis, dim)
    return dispatch.apply("cat", *_tensors(tensors), axis=0 if axis is None else axis)


def stack(tensors: Sequence[Tensor], axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Join tensors along a new axis (``torch.stack``); the axis defaults to 0."""
    if len(tensors) == 0:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    axis = _axis_arg(axis, dim)
    return dispatch.apply("stack", *_tensors(tensors), axis=0 if axis is None else axis)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise ``a if condition else b`` (``torch.where``)."""
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    if condition.dtype != np.bool_:
        raise DTypeError(f"where: condition must be a boolean tensor, got dtype {condition.dtype}")
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else Tensor(a)
    a, b = like._operand(a), like._operand(b)
    if a.data.dtype is not b.data.dtype:
        a, b = _float_category_wins(a, b)
    return dispatch.apply("where", condition, a, b)


dispatch.register_tensor_type(Tensor)
