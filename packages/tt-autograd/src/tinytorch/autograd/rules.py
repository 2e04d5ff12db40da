"""Backward rules: one per differentiable op of tt-tensor's op table.

A rule receives the op's context and ``g``, the gradient of the loss with
respect to the op's output (dL/dy, an array of the output's shape), and
returns dL/dx for each input. The context carries exactly what the op-table
contract promises: ``ctx.inputs`` (the input arrays at forward time),
``ctx.params`` (the op's keyword parameters), ``ctx.output`` (the output array)
and ``ctx.needs_input_grad``.

The contract every rule keeps (the tests check each one):

- it returns a tuple with one entry per input: an array of exactly that
  input's shape (an input that was broadcast in the forward pass gets its
  gradient summed back to its own shape), or None where
  ``ctx.needs_input_grad`` is False (an integer index, a condition, a
  constant), so no work is done for it;
- it never writes into ``g`` (the engine hands one array to several
  consumers; it arrives read-only in the tests) nor into ``ctx``'s arrays;
- its gradients are in ``g``'s dtype (float32 stays float32: mind
  constants such as 0.5, which NumPy would otherwise make float64);
- it declares with ``@saves`` the values it reads (the decorators are given).

How to derive each rule is in the guide, docs/packages/tt-autograd.md, as
graded hints. Each group below has solved examples (worked rules whose
docstrings give their formula) next to the exercises.

A rule that reads the *values* of inputs or of the output (not only their
shapes) declares them with ``@saves``: the engine then checks, at backward,
that none of those tensors was changed by an in-place op since forward, as
PyTorch checks its saved tensors.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from tinytorch.tensor.ops import reduced_count

Grad = np.ndarray | None


class OpContext:
    """What a backward rule may rely on (the op-table contract)."""

    __slots__ = ("inputs", "params", "output", "needs_input_grad")

    def __init__(self, inputs, params, output, needs_input_grad):
        self.inputs: tuple[np.ndarray, ...] = inputs
        self.params: dict = params
        self.output: np.ndarray = output
        self.needs_input_grad: tuple[bool, ...] = needs_input_grad


OUTPUT = "output"
"""In a ``@saves`` declaration: the rule reads the op's output."""


def saves(*reads_per_input: tuple) -> Callable:
    """Declare what a rule reads to compute each input's gradient.

    One tuple per input, listing the input positions (and ``OUTPUT``) whose
    values that input's gradient is computed from: ``@saves((1,), (0,))`` on
    ``mul`` says dL/da reads b and dL/db reads a. Only the gradients an input
    needs count, so ``y = w * 2; w2 = ...`` never checks the constant.
    A rule without the decorator reads nothing but shapes and parameters.
    """

    def declare(rule: Callable) -> Callable:
        rule.saves = reads_per_input
        return rule

    return declare


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient of an input of ``shape`` that broadcasting stretched to ``grad.shape``.

    ``grad`` has the broadcast shape (``shape`` with dims prepended and/or
    size-1 dims stretched); the result has exactly ``shape``, each element
    the total gradient of all the copies broadcasting made of it. When
    nothing was broadcast, return ``grad`` itself (no copy). Never write into
    ``grad``.
    """
    # BEGIN SOLUTION
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
    # END SOLUTION


def _kept_shape(shape: tuple[int, ...], axis) -> tuple[int, ...]:
    """The shape a reduction over ``axis`` has with keepdims=True."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


def _expand_reduced(grad: np.ndarray, shape: tuple[int, ...], axis, keepdims: bool) -> np.ndarray:
    """Copy the gradient of a reduction back over the input's shape (a new array)."""
    if not keepdims and axis is not None:  # put the reduced dims back as size 1
        grad = grad.reshape(_kept_shape(shape, axis))
    expanded = np.empty(shape, dtype=grad.dtype)
    expanded[...] = grad
    return expanded


# ----------------------------------------------------------------------------- binary


def add_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """y = a + b:  dL/da = dL/dy,  dL/db = dL/dy, each summed back to its input's shape.

    The solved example of the binary rules: unpack the inputs and what they
    need, and un-broadcast each gradient that is needed.
    """
    a, b = ctx.inputs
    need_a, need_b = ctx.needs_input_grad
    return (
        unbroadcast(g, a.shape) if need_a else None,
        unbroadcast(g, b.shape) if need_b else None,
    )


def sub_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """y = a - b: the gradients of a and b."""
    # BEGIN SOLUTION
    a, b = ctx.inputs
    need_a, need_b = ctx.needs_input_grad
    return (
        unbroadcast(g, a.shape) if need_a else None,
        unbroadcast(-g, b.shape) if need_b else None,
    )
    # END SOLUTION


@saves((1,), (0,))
def mul_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """y = a * b (elementwise, broadcast): the gradients of a and b."""
    # BEGIN SOLUTION
    a, b = ctx.inputs
    need_a, need_b = ctx.needs_input_grad
    return (
        unbroadcast(g * b, a.shape) if need_a else None,
        unbroadcast(g * a, b.shape) if need_b else None,
    )
    # END SOLUTION


@saves((1,), (1, OUTPUT))
def div_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """y = a / b (elementwise, broadcast): the gradients of a and b.

    dL/db may read the output y instead of a (``@saves`` says which values it reads).
    """
    # BEGIN SOLUTION
    a, b = ctx.inputs
    need_a, need_b = ctx.needs_input_grad
    return (
        unbroadcast(g / b, a.shape) if need_a else None,
        unbroadcast(-g * ctx.output / b, b.shape) if need_b else None,
    )
    # END SOLUTION


def _choose_backward(ctx: OpContext, g: np.ndarray, a_wins: np.ndarray) -> tuple[Grad, Grad]:
    """The gradients of y = max(a, b) or min(a, b), elementwise and broadcast.

    ``a_wins`` is True where a was chosen over b (a boolean array of the
    broadcast shape). Each element of dL/dy goes to the input that was
    chosen; where a == b, each input gets half of it (as PyTorch), so
    ``a.maximum(b).sum()`` gives [0.5, 0.0, 1.0] and [0.5, 1.0, 0.0] for
    a = [1, 2, 3], b = [1, 5, 0].
    """
    # BEGIN SOLUTION
    a, b = ctx.inputs
    need_a, need_b = ctx.needs_input_grad
    tie = a == b
    share_a = np.where(tie, np.asarray(0.5, dtype=g.dtype), a_wins)  # in g's dtype
    return (
        unbroadcast(g * share_a, a.shape) if need_a else None,
        unbroadcast(g * (1 - share_a), b.shape) if need_b else None,
    )
    # END SOLUTION


@saves((0, 1), (0, 1))
def maximum_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """y = max(a, b), elementwise: the solved example of how ``_choose_backward`` is called."""
    a, b = ctx.inputs
    return _choose_backward(ctx, g, a > b)


@saves((0, 1), (0, 1))
def minimum_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """y = min(a, b): the gradient goes to the smaller input; ties split it evenly."""
    a, b = ctx.inputs
    return _choose_backward(ctx, g, a < b)


@saves((1,), (0,))
def matmul_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """Y = A @ B, NumPy's matmul: the gradients of A and B.

    A is (..., n, k) and B is (..., k, m), or 1-D: a 1-D A of length k is a
    row vector (1, k) whose row dim Y lacks, a 1-D B a column (k, 1) whose
    column dim Y lacks (1-D @ 1-D is a 0-d dot product). Batch dims (all but
    the last two) broadcast as in elementwise ops. Each gradient has its
    input's shape (1-D stays 1-D; a batch dim that was broadcast is summed).
    """
    # BEGIN SOLUTION
    a, b = ctx.inputs
    need_a, need_b = ctx.needs_input_grad
    a2 = a[None, :] if a.ndim == 1 else a
    b2 = b[:, None] if b.ndim == 1 else b
    g2 = g  # the column dim first, so that 1-D @ 1-D (a 0-d g) becomes 1x1
    if b.ndim == 1:
        g2 = g2[..., None]
    if a.ndim == 1:
        g2 = g2[..., None, :]
    grad_a = grad_b = None
    if need_a:
        grad_a = unbroadcast(g2 @ b2.swapaxes(-1, -2), a2.shape)
        grad_a = grad_a.reshape(a.shape) if a.ndim == 1 else grad_a
    if need_b:
        grad_b = unbroadcast(a2.swapaxes(-1, -2) @ g2, b2.shape)
        grad_b = grad_b.reshape(b.shape) if b.ndim == 1 else grad_b
    return grad_a, grad_b
    # END SOLUTION


@saves((), (2,), (1,))
def addmm_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad, Grad]:
    """Y = beta C + alpha (A @ B), A (n, k) and B (k, m) matrices, C broadcast to (n, m):
    the gradients of C, A and B (``ctx.params["beta"]``, ``ctx.params["alpha"]`` are numbers)."""
    # BEGIN SOLUTION
    bias, a, b = ctx.inputs
    need_bias, need_a, need_b = ctx.needs_input_grad
    beta, alpha = ctx.params["beta"], ctx.params["alpha"]
    g_product = alpha * g
    return (
        unbroadcast(beta * g, bias.shape) if need_bias else None,
        g_product @ b.T if need_a else None,
        a.T @ g_product if need_b else None,
    )
    # END SOLUTION


# ----------------------------------------------------------------------------- unary


def neg_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = -x:  dL/dx = -dL/dy."""
    return (-g,)


@saves((0,),)
def pow_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = x^p for a number p (``ctx.params["exponent"]``): the gradient of x.

    For p = 0, y = 1 is constant: the gradient is 0 everywhere, x = 0 included.
    """
    # BEGIN SOLUTION
    (x,) = ctx.inputs
    p = ctx.params["exponent"]
    if p == 0:  # y = 1 is constant (also at x = 0, where p x^(p-1) would be 0 * inf)
        return (np.zeros_like(g),)
    return (g * (p * np.power(x, np.asarray(p - 1, dtype=x.dtype))),)
    # END SOLUTION


@saves((0, 1), (0, OUTPUT))
def pow_tensor_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """y = x^p for tensors x and p (broadcast): the gradients of x and p.

    PyTorch's values where the derivative's formula meets 0 * inf: dL/dx = 0
    where p = 0 (y = 1 is flat in x), and dL/dp = 0 where x = 0 and p >= 0.
    A negative x gives dL/dp = NaN, as in PyTorch. No warnings: silence
    NumPy's divide and invalid warnings for the computation.
    """
    # BEGIN SOLUTION
    x, p = ctx.inputs
    need_x, need_p = ctx.needs_input_grad
    grad_x = grad_p = None
    with np.errstate(divide="ignore", invalid="ignore"):
        if need_x:
            slope = np.where(p == 0, 0, p * np.power(x, p - 1)).astype(g.dtype, copy=False)
            grad_x = unbroadcast(g * slope, x.shape)
        if need_p:
            flat = (x == 0) & (p >= 0)
            slope = np.where(flat, 0, ctx.output * np.log(x)).astype(g.dtype, copy=False)
            grad_p = unbroadcast(g * slope, p.shape)
    return grad_x, grad_p
    # END SOLUTION


@saves((OUTPUT,),)
def exp_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = e^x:  dL/dx = y dL/dy.

    The solved example of the unary rules: the derivative, times g, in a
    one-tuple. It reads the output y (declared with ``@saves((OUTPUT,),)``).
    """
    return (g * ctx.output,)


@saves((0,),)
def log_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = ln x:  dL/dx = dL/dy / x (a worked example: the derivative from the input)."""
    return (g / ctx.inputs[0],)


@saves((OUTPUT,),)
def sqrt_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = sqrt(x):  dL/dx = dL/dy / (2 y), read from the output, as ``exp_backward`` does."""
    return (g / (2 * ctx.output),)


@saves((0,),)
def abs_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = |x|:  dL/dx = sign(x) dL/dy, which is 0 at the kink x = 0 (PyTorch's choice)."""
    return (g * np.sign(ctx.inputs[0]),)


@saves((0,),)
def sin_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = sin x:  dL/dx = cos(x) dL/dy."""
    return (g * np.cos(ctx.inputs[0]),)


@saves((0,),)
def cos_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = cos x:  dL/dx = -sin(x) dL/dy."""
    return (-g * np.sin(ctx.inputs[0]),)


@saves((OUTPUT,),)
def tanh_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = tanh x: the gradient of x, from the output y (the rule reads only y)."""
    # BEGIN SOLUTION
    y = ctx.output
    return (g * (1 - y * y),)
    # END SOLUTION


@saves((OUTPUT,),)
def sigmoid_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = sigmoid(x) = 1 / (1 + e^-x): the gradient of x, from the output y alone.

    It must stay finite for every x (e^-x overflows for x below about -89 in float32).
    """
    # BEGIN SOLUTION
    y = ctx.output
    return (g * y * (1 - y),)
    # END SOLUTION


@saves((0,),)
def relu_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = max(x, 0): the gradient of x, 0 at x = 0 (as PyTorch)."""
    # BEGIN SOLUTION
    return (g * (ctx.inputs[0] > 0),)
    # END SOLUTION


@saves((0,),)
def clip_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = clip(x, lo, hi): the gradient of x.

    ``ctx.params["min"]`` and ``ctx.params["max"]`` are numbers or None (no
    bound on that side; one of them may be missing from params). At a bound
    itself (x == lo or x == hi) the gradient passes, as in PyTorch.
    """
    # BEGIN SOLUTION
    (x,) = ctx.inputs
    lo, hi = ctx.params.get("min"), ctx.params.get("max")
    inside = np.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return (g * inside,)
    # END SOLUTION


def cast_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = x in another dtype: the gradient returns in x's dtype."""
    return (g.astype(ctx.inputs[0].dtype),)


def copy_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = a copy of x:  dL/dx = dL/dy."""
    return (g,)


# ----------------------------------------------------------------------------- reductions


def sum_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = sum of x over ``axis``:  dL/dx_i = dL/dy of the sum x_i went into.

    The solved example of the reductions: ``ctx.params`` holds ``axis`` (None,
    an int or a tuple of ints, never negative: tt-tensor passes reduction dims
    counted from 0) and ``keepdims``; g has the
    output's shape, and ``_expand_reduced`` copies it back over x's shape.
    """
    (x,) = ctx.inputs
    return (_expand_reduced(g, x.shape, ctx.params["axis"], ctx.params["keepdims"]),)


def mean_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = mean of x over ``axis`` (params as for sum): the gradient of x."""
    # BEGIN SOLUTION
    (x,) = ctx.inputs
    axis = ctx.params["axis"]
    g = g / np.asarray(reduced_count(x.shape, axis), dtype=g.dtype)
    return (_expand_reduced(g, x.shape, axis, ctx.params["keepdims"]),)
    # END SOLUTION


@saves((0, OUTPUT),)
def _extreme_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = max (or min) of x over ``axis`` (params as for sum): the gradient of x.

    One rule for both: it reads x and the output y. Only the elements equal to
    their reduction's extreme get a gradient; when several tie, they share it
    evenly (``[4, 1, 4, 4].max()`` gives [1/3, 0, 1/3, 1/3]), so the result
    does not depend on their order.
    """
    # BEGIN SOLUTION
    (x,) = ctx.inputs
    axis = ctx.params["axis"]
    kept = _kept_shape(x.shape, axis)  # y and dL/dy with the reduced dims kept broadcast over x
    is_extreme = x == ctx.output.reshape(kept)
    count = is_extreme.sum(axis=axis, keepdims=True)
    return (is_extreme * (g.reshape(kept) / count.astype(g.dtype)),)
    # END SOLUTION


@saves((0,),)
def var_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = var(x) over ``axis``, sum((x - mean)^2) / (N - c): the gradient of x.

    N is the number of elements in each reduction, c = ``ctx.params["correction"]``
    (1 by default: Bessel's correction); ``axis`` and ``keepdims`` as for sum.
    Where N - c <= 0 the forward is NaN: the gradient is NaN too, with no
    exception (a NumPy warning is fine).
    """
    # BEGIN SOLUTION
    (x,) = ctx.inputs
    axis = ctx.params["axis"]
    n = reduced_count(x.shape, axis)
    centered = x - x.mean(axis=axis, keepdims=True)
    # N - c <= 0 gives inf here and a NaN gradient, as the forward gives NaN
    scale = np.asarray(2, dtype=g.dtype) / np.asarray(
        max(n - ctx.params["correction"], 0), dtype=g.dtype
    )
    # g with the reduced dims kept broadcasts over x: no x-sized copy of it needed
    return (centered * (g.reshape(_kept_shape(x.shape, axis)) * scale),)
    # END SOLUTION


@saves((0, OUTPUT),)
def std_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = sqrt(var(x)) over ``axis`` (params as for var): the gradient of x.

    Where y = 0 (a constant row) the gradient is 0, as PyTorch defines it
    (the derivative's formula would give 0 / 0 there), with no warning.
    """
    # BEGIN SOLUTION
    (x,) = ctx.inputs
    axis = ctx.params["axis"]
    n = reduced_count(x.shape, axis)
    y = ctx.output.reshape(_kept_shape(x.shape, axis))
    centered = x - x.mean(axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(y == 0, 0, 1 / (max(n - ctx.params["correction"], 0) * y))
    return (centered * (g.reshape(y.shape) * scale.astype(g.dtype)),)
    # END SOLUTION


@saves((OUTPUT,),)
def softmax_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = softmax(x) along ``ctx.params["axis"]``: the gradient of x, from y alone."""
    # BEGIN SOLUTION
    y, axis = ctx.output, ctx.params["axis"]
    return (y * (g - (g * y).sum(axis=axis, keepdims=True)),)
    # END SOLUTION


@saves((OUTPUT,),)
def log_softmax_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = log softmax(x) along ``ctx.params["axis"]``: the gradient of x, from y alone."""
    # BEGIN SOLUTION
    y, axis = ctx.output, ctx.params["axis"]
    return (g - np.exp(y) * g.sum(axis=axis, keepdims=True),)
    # END SOLUTION


# ----------------------------------------------------------------------------- movement


def reshape_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """A reshape moves no numbers: the gradient takes the input's shape back.

    The solved example of the movement rules.
    """
    return (g.reshape(ctx.inputs[0].shape),)


def permute_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = x.permute(dims) (``ctx.params["dims"]``, non-negative ints): the gradient of x."""
    # BEGIN SOLUTION
    return (g.transpose(np.argsort(ctx.params["dims"])),)
    # END SOLUTION


def expand_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = x.expand(shape) is broadcasting made explicit:  dL/dx = unbroadcast(dL/dy, x.shape).

    A worked example: each element of x was read by every copy the expand made
    of it, so its gradient is the sum over those copies, which is what
    ``unbroadcast`` computes.
    """
    return (unbroadcast(g, ctx.inputs[0].shape),)


_BASIC_INDEX_TYPES = (int, np.integer, slice, type(None), type(Ellipsis))


def _is_basic_index(index) -> bool:
    """True when ``x[index]`` selects each element at most once (ints, slices, None, ...)."""
    if isinstance(index, tuple):
        return all([isinstance(part, _BASIC_INDEX_TYPES) for part in index])
    return isinstance(index, _BASIC_INDEX_TYPES)


def getitem_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = x[index] (``ctx.params["index"]``, any NumPy index): the gradient of x.

    Elements that were not read get 0. An integer-array index may read one
    element several times: it gets the sum of those reads' gradients
    (``x[[0, 0, 2]]`` gives x[0] twice its share). ``_is_basic_index`` tells
    whether an index reads each element at most once.
    """
    # BEGIN SOLUTION
    (x,) = ctx.inputs
    index = ctx.params["index"]
    grad = np.zeros(x.shape, dtype=g.dtype)
    if _is_basic_index(index) or (isinstance(index, np.ndarray) and index.dtype == bool):
        grad[index] = g
    else:
        np.add.at(grad, index, g)
    return (grad,)
    # END SOLUTION


def setitem_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """y = x with y[index] = v written in (``ctx.params["index"]``): the gradients of x and v.

    The written positions of x no longer reach y. v was broadcast to the
    shape of ``x[index]``: its gradient has v's shape. NumPy drops a value's
    leading size-1 dims when it writes it (a v of shape (1, 2) fills a
    (2,) slot), so the gradient of such a v keeps them.
    """
    # BEGIN SOLUTION
    x, value = ctx.inputs
    need_x, need_value = ctx.needs_input_grad
    index = ctx.params["index"]
    grad_x = grad_value = None
    if need_x:
        grad_x = g.copy()
        grad_x[index] = 0
    if need_value:
        written = np.asarray(g[index])
        if value.ndim > written.ndim:  # NumPy drops a value's leading size-1 dims
            written = written.reshape((1,) * (value.ndim - written.ndim) + written.shape)
        grad_value = unbroadcast(written, value.shape).astype(value.dtype, copy=False)
    return grad_x, grad_value
    # END SOLUTION


def cat_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, ...]:
    """y = cat(inputs, axis): one gradient per input, the part of g it supplied.

    Views of g are fine, and (an exception to the contract) so are gradients
    for inputs that need none: the slices cost nothing, and the engine drops them.
    """
    # BEGIN SOLUTION
    axis = ctx.params["axis"]
    bounds = np.cumsum([x.shape[axis] for x in ctx.inputs])[:-1]
    return tuple(np.split(g, bounds, axis=axis))
    # END SOLUTION


def stack_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, ...]:
    """y = stack(inputs, axis), along a new axis:  dL/dx_i = dL/dy taken at index i of ``axis``.

    The solved example for cat: input i became slice i of the new axis, so its
    gradient is that slice of g (a view; as for cat, every input gets one).
    """
    axis = ctx.params["axis"]
    return tuple(np.take(g, i, axis=axis) for i in range(len(ctx.inputs)))


@saves((), (0,), (0,))
def where_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad, Grad]:
    """y = where(c, a, b), c a boolean array, all three broadcast: the gradients (None, a's, b's).

    The condition never gets a gradient.
    """
    # BEGIN SOLUTION
    condition, a, b = ctx.inputs
    _, need_a, need_b = ctx.needs_input_grad
    zero = np.zeros((), dtype=g.dtype)
    return (
        None,
        unbroadcast(np.where(condition, g, zero), a.shape) if need_a else None,
        unbroadcast(np.where(condition, zero, g), b.shape) if need_b else None,
    )
    # END SOLUTION


# ----------------------------------------------------------------------------- integer division


@saves((), (0, 1))
def remainder_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, Grad]:
    """y = a % b = a - b floor(a / b) (broadcast): the gradients of a and b."""
    # BEGIN SOLUTION
    a, b = ctx.inputs
    need_a, need_b = ctx.needs_input_grad
    return (
        unbroadcast(g, a.shape) if need_a else None,
        unbroadcast(-g * np.floor_divide(a, b), b.shape) if need_b else None,
    )
    # END SOLUTION


# ----------------------------------------------------------------------------- scans and products


def cumsum_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y_i = x_0 + ... + x_i along ``ctx.params["axis"]`` (an int): the gradient of x."""
    # BEGIN SOLUTION
    axis = ctx.params["axis"]
    return (np.flip(np.cumsum(np.flip(g, axis), axis=axis), axis),)
    # END SOLUTION


def _product_of_others(x: np.ndarray, axis: int) -> np.ndarray:
    """For each element of ``x``, the product of the other elements along ``axis`` (an int).

    Exact when elements are 0 (so not y / x_i); the result has x's shape.
    """
    # BEGIN SOLUTION
    x = np.moveaxis(x, axis, -1)
    before = np.ones_like(x)
    before[..., 1:] = np.cumprod(x[..., :-1], axis=-1)
    after = np.ones_like(x)
    after[..., :-1] = np.flip(np.cumprod(np.flip(x[..., 1:], -1), axis=-1), -1)
    return np.moveaxis(before * after, -1, axis)
    # END SOLUTION


@saves((0,),)
def prod_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = product of x over ``axis`` (None or an int; ``keepdims``): the gradient of x.

    Exact where elements are 0: with exactly one zero in a product, that
    element's gradient is the product of the others and every other element's
    is 0 (``_product_of_others`` does the work).
    """
    # BEGIN SOLUTION
    (x,) = ctx.inputs
    axis, keepdims = ctx.params["axis"], ctx.params["keepdims"]
    if axis is None:
        others = _product_of_others(x.reshape(-1), 0).reshape(x.shape)
    else:
        others = _product_of_others(x, axis)
    return (_expand_reduced(g, x.shape, axis, keepdims) * others,)
    # END SOLUTION


# ----------------------------------------------------------------------------- gathering and copies


@saves((1,), ())
def gather_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad, None]:
    """``y[i][j] = x[i][index[i][j]]`` for axis 1 (likewise any axis): the gradients (x's, None).

    ``index`` (ctx.inputs[1], integers) has y's shape. An element read several
    times gets the sum of those reads' gradients; the index gets None.
    """
    # BEGIN SOLUTION
    x, index = ctx.inputs
    grad = np.zeros(x.shape, dtype=g.dtype)
    coordinates = list(np.indices(index.shape, sparse=True))
    coordinates[ctx.params["axis"]] = index
    np.add.at(grad, tuple(coordinates), g)
    return grad, None
    # END SOLUTION


def repeat_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = x tiled r_d times along each dim d (``ctx.params["repeats"]``, as ``np.tile``).

    There may be more repeats than x has dims (x is then treated as having
    leading size-1 dims). The gradient of x has x's shape.
    """
    # BEGIN SOLUTION
    (x,) = ctx.inputs
    repeats = ctx.params["repeats"]
    sizes = (1,) * (len(repeats) - x.ndim) + x.shape
    blocks = g.reshape([n for pair in zip(repeats, sizes, strict=True) for n in pair])
    return (blocks.sum(axis=tuple(range(0, 2 * len(repeats), 2))).reshape(x.shape),)
    # END SOLUTION


def tril_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = x on and below the diagonal, 0 above:  dL/dx is dL/dy with the same zeros."""
    return (np.tril(g, ctx.params["diagonal"]),)


def triu_backward(ctx: OpContext, g: np.ndarray) -> tuple[Grad]:
    """y = x on and above diagonal ``ctx.params["diagonal"]``, 0 below:  dL/dx = triu(dL/dy)."""
    return (np.triu(g, ctx.params["diagonal"]),)


RULES: dict[str, Callable[[OpContext, np.ndarray], tuple[Grad, ...]]] = {
    "add": add_backward,
    "sub": sub_backward,
    "mul": mul_backward,
    "div": div_backward,
    "maximum": maximum_backward,
    "minimum": minimum_backward,
    "matmul": matmul_backward,
    "addmm": addmm_backward,
    "neg": neg_backward,
    "pow": pow_backward,
    "pow_tensor": pow_tensor_backward,
    "exp": exp_backward,
    "log": log_backward,
    "sqrt": sqrt_backward,
    "abs": abs_backward,
    "sin": sin_backward,
    "cos": cos_backward,
    "tanh": tanh_backward,
    "sigmoid": sigmoid_backward,
    "relu": relu_backward,
    "clip": clip_backward,
    "cast": cast_backward,
    "copy": copy_backward,
    "sum": sum_backward,
    "mean": mean_backward,
    "max": _extreme_backward,
    "min": _extreme_backward,
    "var": var_backward,
    "std": std_backward,
    "softmax": softmax_backward,
    "log_softmax": log_softmax_backward,
    "reshape": reshape_backward,
    "permute": permute_backward,
    "expand": expand_backward,
    "getitem": getitem_backward,
    "setitem": setitem_backward,
    "cat": cat_backward,
    "stack": stack_backward,
    "where": where_backward,
    "remainder": remainder_backward,
    "cumsum": cumsum_backward,
    "prod": prod_backward,
    "gather": gather_backward,
    "repeat": repeat_backward,
    "tril": tril_backward,
    "triu": triu_backward,
}
"""The backward rule of every differentiable op, by op-table name."""
