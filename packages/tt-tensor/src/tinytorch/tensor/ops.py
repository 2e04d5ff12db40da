"""The op table: every Tensor operation's forward kernel, on NumPy arrays.

Each entry names one operation, the number of Tensor inputs it takes, the
keyword parameters it accepts, and whether it is differentiable. The kernels
take and return NumPy arrays; they know nothing about Tensors or gradients.

This table is the contract between tt-tensor and tt-autograd: autograd keeps
one backward rule per differentiable name here, and a backward rule may rely on
exactly three things: the input arrays as they were at forward time, the
keyword parameters, and the output array. (An in-place op writes into a
tensor's memory and bumps its version counter; autograd checks at backward
that the arrays a rule reads were not overwritten since forward.) Both packages pin the table in
their tests, so either can be swapped for another implementation.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

VARIADIC = -1  # arity of ops that take a sequence of tensors (cat, stack)


@dataclass(frozen=True)
class OpDef:
    """One operation of the table.

    Attributes:
        name: the op's name, the key autograd uses for its backward rule.
        kernel: forward computation on NumPy arrays.
        arity: number of Tensor inputs, or ``VARIADIC``.
        params: names of the keyword parameters the kernel accepts.
        differentiable: False for ops whose output never carries a gradient
            (comparisons, argmax).
        view: True for ops whose output may share the first input's memory
            (reshape, permute, expand, getitem); such an output shares the
            input's version counter when it does.
    """

    name: str
    kernel: Callable[..., np.ndarray]
    arity: int
    params: tuple[str, ...] = ()
    differentiable: bool = True
    view: bool = False


def _float(x: np.ndarray) -> np.ndarray:
    """Integer and boolean inputs of float math become float32 (PyTorch's default dtype)."""
    return x if x.dtype.kind == "f" else x.astype(np.float32)


# ----------------------------------------------------------------------------- binary, elementwise


def add(a, b):
    """a + b, broadcasting."""
    return np.add(a, b)


def sub(a, b):
    """a - b, broadcasting."""
    return np.subtract(a, b)


def mul(a, b):
    """a * b, broadcasting."""
    return np.multiply(a, b)


def div(a, b):
    """a / b, broadcasting; integer division gives float32, as in PyTorch."""
    return np.divide(_float(a), _float(b))


def maximum(a, b):
    """Elementwise max(a, b)."""
    return np.maximum(a, b)


def minimum(a, b):
    """Elementwise min(a, b)."""
    return np.minimum(a, b)


def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands are vectors, leading dims broadcast."""
    return np.matmul(a, b)


def addmm(bias, a, b, beta=1, alpha=1):
    """beta * bias + alpha * (a @ b) for matrices a (n, k) and b (k, m), as ``torch.addmm``.

    A linear layer in one op: the product is written into a new array and the
    bias (broadcast to (n, m)) is added to it in place, so no second (n, m)
    array is made.
    """
    out = np.matmul(a, b)
    if alpha != 1:
        out *= alpha
    if beta != 0:  # beta = 0 ignores the bias, NaN and inf included (as PyTorch)
        out += bias if beta == 1 else beta * bias
    return out


# ----------------------------------------------------------------------------- unary, elementwise


def neg(x):
    """-x."""
    return np.negative(x)


def power(x, exponent):
    """x ** exponent for a Python-number exponent.

    Small integer powers are written as products: ``x * x * x`` is hundreds of
    times faster than ``np.power(x, 3)`` on float arrays.
    """
    x = _float(x) if exponent < 0 or exponent != int(exponent) else x
    if exponent == 2:
        return x * x
    if exponent == 3:
        return x * x * x
    if exponent == 0.5:
        return np.sqrt(x)
    if exponent == 1:
        return x.copy()
    return np.power(x, np.asarray(exponent, dtype=x.dtype))


def pow_tensor(x, exponent):
    """x ** exponent elementwise for a tensor exponent (both of one dtype).

    Defined for a negative base too where the exponent is an integer
    ([-2, 3] ** [2, 2] = [4, 9]); an integer base to a negative integer power
    is refused, as in PyTorch.
    """
    return np.power(x, exponent)


def exp(x):
    """e ** x."""
    return np.exp(_float(x))


def log(x):
    """Natural logarithm."""
    return np.log(_float(x))


def sqrt(x):
    """Square root."""
    return np.sqrt(_float(x))


def absolute(x):
    """|x|."""
    return np.abs(x)


def sin(x):
    """sin(x)."""
    return np.sin(_float(x))


def cos(x):
    """cos(x)."""
    return np.cos(_float(x))


def tanh(x):
    """tanh(x)."""
    return np.tanh(_float(x))


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + e^-x), elementwise, in x's float dtype (integers give float32).

    Requirements the tests check: finite results in [0, 1] for any finite x,
    float32 stays float32, and no floating-point overflow anywhere on the way,
    not even a hidden one: the tests run it under ``np.errstate(over="raise")``
    on x = -1000 and x = 1000 (the textbook formula overflows ``e^-x`` there).
    The guide's hints say how.
    """
    # BEGIN SOLUTION
    x = _float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    # END SOLUTION


def relu(x):
    """max(x, 0)."""
    return np.maximum(x, 0)


def clip(x, min=None, max=None):  # noqa: A002 - the op's params, PyTorch's argument names
    """Clamp x into [min, max] in x's dtype; one of the bounds may be None, not both
    (ValueError, as ``torch.clamp``)."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    return np.clip(x, min, max).astype(x.dtype, copy=False)


def cast(x, dtype):
    """x converted to another dtype."""
    return x.astype(dtype)


# ----------------------------------------------------------------------------- comparisons


def eq(a, b):
    return np.equal(a, b)


def ne(a, b):
    return np.not_equal(a, b)


def lt(a, b):
    return np.less(a, b)


def le(a, b):
    return np.less_equal(a, b)


def gt(a, b):
    return np.greater(a, b)


def ge(a, b):
    return np.greater_equal(a, b)


# ----------------------------------------------------------------------------- reductions


def sum_over(x, axis=None, keepdims=False):
    """Sum over ``axis`` (all axes when None).

    NOTE: the array methods (``x.sum``, ``x.max``, ...) skip the Python layer
    that ``np.sum`` and friends go through first, about 1 µs per call.
    """
    return x.sum(axis=axis, keepdims=keepdims)


def reduced_count(shape: tuple[int, ...], axis: int | tuple[int, ...] | None) -> int:
    """How many elements a reduction over ``axis`` combines into each output element.

    ``axis`` as the reduction kernels receive it: None (every dim: the product
    of ``shape``), an int or a tuple of ints counted from 0. tt-autograd's
    backward rules of mean, var and std use it too.
    """
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in ((axis,) if isinstance(axis, int) else axis))


def mean(x, axis=None, keepdims=False):
    """Mean over ``axis``: the sum divided by the number of elements summed.

    Args:
        x: an array of any dtype; integer and boolean input give float32, a
            float dtype is kept (float64 stays float64).
        axis: None (every element), a dim counted from 0, or a tuple of such
            dims (``Tensor._reduce`` has already made them non-negative and unique).
        keepdims: keep each reduced dim with size 1.

    Returns an array (a 0-d array when everything is reduced), never a NumPy
    scalar. The sum and a count, not ``np.mean``, which goes through several
    microseconds of Python on small arrays.
    """
    x = _float(x)
    count = reduced_count(x.shape, axis)
    return np.asarray(x.sum(axis=axis, keepdims=keepdims) / x.dtype.type(count))


def max_over(x, axis=None, keepdims=False):
    """Largest element over ``axis``."""
    return x.max(axis=axis, keepdims=keepdims)


def min_over(x, axis=None, keepdims=False):
    """Smallest element over ``axis``."""
    return x.min(axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False, correction=1):
    """Variance: sum((x - mean)^2) / (N - correction), as ``torch.var`` (unbiased by default).

    N is the number of elements reduced over; ``axis`` and ``keepdims`` as in
    ``mean`` (integer input gives float32, float64 stays float64).

    When N - correction <= 0 the divisor is 0 (never negative, as in PyTorch
    and NumPy), so the result is inf or NaN, and the kernel warns
    with a ``RuntimeWarning`` (``warnings.warn``, naming N and correction), as
    PyTorch does. The test silences NumPy's own floating-point warnings
    (``np.errstate(divide="ignore", invalid="ignore")``), so a division by
    zero alone does not count as the warning.
    """
    # BEGIN SOLUTION
    x = _float(x)
    count = reduced_count(x.shape, axis)
    if count - correction <= 0:
        warnings.warn(
            f"var: degrees of freedom N - correction = {count} - {correction} <= 0; "
            "the result is inf or NaN",
            RuntimeWarning,
            stacklevel=2,
        )
    deviations = x - x.mean(axis=axis, keepdims=True)
    squares = (deviations * deviations).sum(axis=axis, keepdims=keepdims)
    return np.asarray(squares / x.dtype.type(max(count - correction, 0)))
    # END SOLUTION


def std(x, axis=None, keepdims=False, correction=1):
    """Standard deviation: sqrt(var(x)), as ``torch.std``."""
    return np.sqrt(var(x, axis=axis, keepdims=keepdims, correction=correction))


def argmax(x, axis=None, keepdims=False):
    return x.argmax(axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    return x.argmin(axis=axis, keepdims=keepdims)


def softmax(x, axis=-1):
    """softmax(x)_i = e^(x_i) / sum_j e^(x_j) along ``axis`` (an int, negative counts from the end).

    Same shape as x, in x's float dtype (integers give float32); every slice
    along ``axis`` sums to 1. The tests feed logits like 1000 and -1000 and
    want finite, exact results: computed as written, e^1000 overflows. The
    guide's hints say how to avoid it.
    """
    # BEGIN SOLUTION
    x = _float(x)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
    # END SOLUTION


def log_softmax(x, axis=-1):
    """log(softmax(x)) along ``axis``: x_i - log sum_j e^(x_j), in x's float dtype.

    Same shape and requirements as ``softmax``: finite and exact for logits
    like 1000 and -1000, where taking the log of a computed softmax gives
    log(0) = -inf. Compute it without forming softmax.
    """
    # BEGIN SOLUTION
    x = _float(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    # END SOLUTION


# ----------------------------------------------------------------------------- movement


def reshape(x, shape):
    """The same elements in a new shape (a view where NumPy can make one)."""
    return x.reshape(shape)


def permute(x, dims):
    """Axes reordered: output axis i is input axis dims[i]."""
    return x.transpose(dims)


def expand(x, shape):
    """A read-only broadcast view of x with ``shape``."""
    return np.broadcast_to(x, shape)


def getitem(x, index):
    """x[index] with NumPy's basic and advanced indexing."""
    return x[index]


def setitem(x, value, index):
    """A copy of x with x[index] = value (value broadcast to x[index], cast to x's dtype).

    The op that ``x[index] = value`` records when autograd is on; without
    autograd the assignment writes into x directly.
    """
    out = x.copy()
    out[index] = value
    return out


def cat(*xs, axis=0):
    """Arrays joined along an existing axis."""
    return np.concatenate(xs, axis=axis)


def stack(*xs, axis=0):
    """Arrays joined along a new axis."""
    return np.stack(xs, axis=axis)


def where(condition, a, b):
    """Elementwise ``a if condition else b``; condition is boolean and gets no gradient."""
    return np.where(condition, a, b)


def copy(x):
    """A copy that owns its memory."""
    return x.copy()


# ----------------------------------------------------------------------------- integer division


def _check_integer_divisor(op_name: str, b: np.ndarray) -> None:
    """Integer division by zero has no result; NumPy would give 0 with a warning."""
    if b.dtype.kind in "iub" and not b.all():
        raise ZeroDivisionError(f"{op_name}: integer division by zero (a divisor is 0)")


def floor_divide(a, b):
    """floor(a / b), broadcasting (Python's and PyTorch's ``//``): -7 // 2 is -4."""
    _check_integer_divisor("floor_divide", b)
    return np.floor_divide(a, b)


def remainder(a, b):
    """a - b * floor(a / b), broadcasting: the result takes the sign of the divisor b.

    As Python's and PyTorch's ``%``: -7 % 2 is 1, 7 % -2 is -1 (C's fmod gives -1 and 1).
    """
    _check_integer_divisor("remainder", b)
    return np.remainder(a, b)


# ----------------------------------------------------------------------------- scans and tests


def cumsum(x, axis):
    """Running sum along ``axis``: y_i = x_0 + ... + x_i."""
    return np.cumsum(x, axis=axis)


def prod(x, axis=None, keepdims=False):
    """Product of the elements over ``axis`` (all when None)."""
    return x.prod(axis=axis, keepdims=keepdims)


def any_true(x, axis=None, keepdims=False):
    """True where any element over ``axis`` is nonzero (a boolean array)."""
    return np.any(x, axis=axis, keepdims=keepdims)


def all_true(x, axis=None, keepdims=False):
    """True where every element over ``axis`` is nonzero (a boolean array)."""
    return np.all(x, axis=axis, keepdims=keepdims)


# ----------------------------------------------------------------------------- ordering, gathering


def argsort(x, axis=-1, descending=False):
    """The indices that sort ``x`` along ``axis`` (int64), stably: ties keep their order.

    A descending stable sort is the ascending stable sort of the reversed
    array, reversed back, with the indices mapped to the original positions
    (negating x would fail for unsigned and boolean arrays).
    """
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    reversed_order = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(reversed_order, axis)


def gather(x, index, axis):
    """``out[i][j][k] = x[index[i][j][k]][j][k]`` for axis 0: the index replaces one coordinate.

    ``index`` has as many dims as x and its sizes are at most x's outside
    ``axis``, as ``torch.gather``: only the leading part of x is read there.
    """
    leading = tuple(
        slice(None) if d == axis % x.ndim else slice(0, size) for d, size in enumerate(index.shape)
    )
    return np.take_along_axis(x[leading], index, axis=axis)


# ----------------------------------------------------------------------------- copies and masks


def repeat(x, repeats):
    """x tiled ``repeats[d]`` times along each dim d (new leading dims for extra repeats)."""
    return np.tile(x, repeats)


def tril(x, diagonal=0):
    """The lower triangle of the last two dims: x[..., i, j] where j - i <= diagonal, else 0."""
    return np.tril(x, diagonal)


def triu(x, diagonal=0):
    """The upper triangle of the last two dims: x[..., i, j] where j - i >= diagonal, else 0."""
    return np.triu(x, diagonal)


# ----------------------------------------------------------------------------- the table


def _table(*defs: OpDef) -> dict[str, OpDef]:
    return {d.name: d for d in defs}


_REDUCE = ("axis", "keepdims")

OP_TABLE: dict[str, OpDef] = _table(
    # binary elementwise (broadcasting)
    OpDef("add", add, 2),
    OpDef("sub", sub, 2),
    OpDef("mul", mul, 2),
    OpDef("div", div, 2),
    OpDef("maximum", maximum, 2),
    OpDef("minimum", minimum, 2),
    OpDef("matmul", matmul, 2),
    OpDef("addmm", addmm, 3, ("beta", "alpha")),
    # unary elementwise
    OpDef("neg", neg, 1),
    OpDef("pow", power, 1, ("exponent",)),
    OpDef("pow_tensor", pow_tensor, 2),
    OpDef("exp", exp, 1),
    OpDef("log", log, 1),
    OpDef("sqrt", sqrt, 1),
    OpDef("abs", absolute, 1),
    OpDef("sin", sin, 1),
    OpDef("cos", cos, 1),
    OpDef("tanh", tanh, 1),
    OpDef("sigmoid", sigmoid, 1),
    OpDef("relu", relu, 1),
    OpDef("clip", clip, 1, ("min", "max")),
    OpDef("cast", cast, 1, ("dtype",)),
    # comparisons (boolean results, no gradient)
    OpDef("eq", eq, 2, differentiable=False),
    OpDef("ne", ne, 2, differentiable=False),
    OpDef("lt", lt, 2, differentiable=False),
    OpDef("le", le, 2, differentiable=False),
    OpDef("gt", gt, 2, differentiable=False),
    OpDef("ge", ge, 2, differentiable=False),
    # reductions
    OpDef("sum", sum_over, 1, _REDUCE),
    OpDef("mean", mean, 1, _REDUCE),
    OpDef("max", max_over, 1, _REDUCE),
    OpDef("min", min_over, 1, _REDUCE),
    OpDef("var", var, 1, (*_REDUCE, "correction")),
    OpDef("std", std, 1, (*_REDUCE, "correction")),
    OpDef("softmax", softmax, 1, ("axis",)),
    OpDef("log_softmax", log_softmax, 1, ("axis",)),
    OpDef("argmax", argmax, 1, _REDUCE, differentiable=False),
    OpDef("argmin", argmin, 1, _REDUCE, differentiable=False),
    # movement
    OpDef("reshape", reshape, 1, ("shape",), view=True),
    OpDef("permute", permute, 1, ("dims",), view=True),
    OpDef("expand", expand, 1, ("shape",), view=True),
    OpDef("getitem", getitem, 1, ("index",), view=True),
    OpDef("setitem", setitem, 2, ("index",)),
    OpDef("cat", cat, VARIADIC, ("axis",)),
    OpDef("stack", stack, VARIADIC, ("axis",)),
    OpDef("where", where, 3),
    OpDef("copy", copy, 1),
    # integer division (// has no gradient, as in PyTorch: floor is flat almost everywhere)
    OpDef("floor_divide", floor_divide, 2, differentiable=False),
    OpDef("remainder", remainder, 2),
    # scans, products and tests
    OpDef("cumsum", cumsum, 1, ("axis",)),
    OpDef("prod", prod, 1, _REDUCE),
    OpDef("any", any_true, 1, _REDUCE, differentiable=False),
    OpDef("all", all_true, 1, _REDUCE, differentiable=False),
    # ordering, gathering, copies and masks
    OpDef("argsort", argsort, 1, ("axis", "descending"), differentiable=False),
    OpDef("gather", gather, 2, ("axis",)),
    OpDef("repeat", repeat, 1, ("repeats",)),
    OpDef("tril", tril, 1, ("diagonal",)),
    OpDef("triu", triu, 1, ("diagonal",)),
)
"""Every operation a Tensor can run, by name."""

DIFFERENTIABLE_OPS: frozenset[str] = frozenset(n for n, d in OP_TABLE.items() if d.differentiable)
