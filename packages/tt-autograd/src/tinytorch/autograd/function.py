"""``Function``: how later packages add differentiable operations.

A Function is a forward computation and its backward rule side by side, as
``torch.autograd.Function``. Both work on NumPy arrays: Tensor arguments
arrive in ``forward`` as their arrays, and ``backward`` receives and returns
arrays. ``apply`` does the wrapping and records the graph node.

Examples:
    ```python
    class Cube(Function):
        \"\"\"y = x^3;  dL/dx = 3 x^2 dL/dy.\"\"\"

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad_y):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad_y

    y = Cube.apply(Tensor([1.0, 2.0], requires_grad=True))
    ```

``backward`` returns one gradient per positional argument of ``forward``
(None for arguments that are not tensors or need no gradient);
``ctx.needs_input_grad`` says which ones are wanted. A Function whose
``forward`` returns a tuple of arrays has several outputs, and its
``backward`` receives one gradient per output (zeros for outputs that did not
reach the loss).

A saved array that is an input Tensor's (or an output's) own array is
checked at backward: if that tensor was changed in place since forward,
backward raises, as PyTorch does for ``save_for_backward``.

A Function may declare what one call costs, for profilers (tt-systems'
``flops``), with an optional static method
``flops(inputs, params, outputs) -> (forward_flops, backward_flops)``: it
receives ``apply``'s positional arguments (Tensors as they were passed),
its keyword arguments and the output Tensors, and counts a multiply or an
add as one FLOP; backward counts only the gradients that will be computed
(inputs with ``requires_grad``). ``per_element_flops(forward, backward)``
makes one for a fixed cost per output element. Profilers see each call
through the dispatcher's op hook under the class's name, and find the class
with ``function_by_name``. A Function without ``flops`` is counted as one
FLOP per output element (and per input needing a gradient, backward).
"""

from __future__ import annotations

import gc
import math
import time
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
from tinytorch.tensor import Tensor, dispatch

from .engine import attach
from .grad_mode import _GradMode


class FunctionCtx:
    """The context a Function's forward fills and its backward reads.

    Store arrays with ``save_for_backward`` and anything else as attributes.
    """

    needs_input_grad: tuple[bool, ...]
    saved_tensors: tuple[Any, ...] = ()

    def save_for_backward(self, *values: Any) -> None:
        """Keep arrays that backward needs (read them back as ``ctx.saved_tensors``)."""
        self.saved_tensors = values


class Function:
    """Base class of differentiable operations with a hand-written backward."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        qualified = f"{cls.__module__}.{cls.__qualname__}"
        _functions_by_name.setdefault(cls.__name__, {})[qualified] = weakref.ref(cls)

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> np.ndarray | tuple[np.ndarray, ...]:
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: np.ndarray) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grad_outputs)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run forward on the arrays of ``args``; record a node when a gradient will be needed."""
        ctx = FunctionCtx()
        # (list comprehensions: cheaper than generator expressions on this per-call path)
        ctx.needs_input_grad = tuple([isinstance(a, Tensor) and a.requires_grad for a in args])
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        observed = dispatch.has_op_hooks()  # a profiler is listening: time the forward
        started = time.perf_counter() if observed else 0.0
        result = cls.forward(ctx, *arrays, **kwargs)
        seconds = time.perf_counter() - started if observed else 0.0
        several = isinstance(result, tuple)
        outputs = tuple(
            [Tensor._from_array(np.asarray(r)) for r in (result if several else (result,))]
        )
        wanted = _GradMode.enabled and True in ctx.needs_input_grad
        if wanted and True in [o.data.dtype.kind == "f" for o in outputs]:
            saved = _saved_versions(ctx.saved_tensors, args, outputs) if ctx.saved_tensors else ()
            attach(cls.__name__, args, cls.backward, ctx, outputs, saved)
        if observed:
            dispatch.call_op_hooks(cls.__name__, args, kwargs, outputs, seconds)
        return outputs if several else outputs[0]


_functions_by_name: dict[str, dict[str, weakref.ref]] = {}
"""Function subclasses by class name, then by qualified name (module.qualname), held weakly."""

FlopCount = Callable[[tuple, dict, tuple], tuple[int, int]]


def function_by_name(name: str) -> type[Function] | None:
    """The Function subclass named ``name`` (the name its calls report to op hooks), or None.

    Only classes that still exist count (the registry holds them weakly). A
    class defined again under the same qualified name (a notebook cell run
    twice, a class made in a function called twice) replaces the earlier one.
    Two different live classes with one name (``a.Softplus`` and
    ``b.Softplus``) are ambiguous: a ``LookupError`` names both, rather than
    a profiler silently using the wrong one's FLOP count.
    """
    live = _live_functions(name)
    if len(live) > 1:  # classes sit in reference cycles: collect the dead ones first
        gc.collect()
        live = _live_functions(name)
    if len(live) > 1:
        raise LookupError(
            f"function_by_name: {len(live)} Function subclasses are named {name!r} "
            f"({', '.join(sorted(live))}); op hooks and profilers know a Function by its "
            "class name, so give them different names"
        )
    return next(iter(live.values()), None)


def _live_functions(name: str) -> dict[str, type[Function]]:
    """The live Function subclasses named ``name``, by qualified name (dead ones dropped)."""
    refs = _functions_by_name.get(name, {})
    live = {qualified: ref() for qualified, ref in refs.items()}
    for qualified in [q for q, cls in live.items() if cls is None]:
        del refs[qualified]
        del live[qualified]
    return live


def requires_grad(value: Any) -> bool:
    """Whether ``value`` requires grad: its ``requires_grad``, False for a value without one
    (None, a number, an array).

    For code that sees a Function's arguments as they were passed, Tensors or
    not (a ``flops`` static method, an optional bias):
    ``requires_grad(bias)`` instead of ``getattr(bias, "requires_grad", False)``.

    Examples:
        ```python
        requires_grad(Tensor([1.0], requires_grad=True))  # True
        requires_grad(None), requires_grad(2.0)  # (False, False)
        ```
    """
    return bool(getattr(value, "requires_grad", False))


def per_element_flops(forward: int, backward: int) -> FlopCount:
    """A ``flops`` static method for a Function costing a fixed number of FLOPs per output element.

    ``forward`` FLOPs per element of the outputs; ``backward`` per element
    when any input needs a gradient (0 otherwise). ``per_element_flops(0, 0)``
    declares an op that only moves data.

    Examples:
        ```python
        class Softplus(Function):
            flops = per_element_flops(3, 3)  # exp, add, log; backward a sigmoid
        ```
    """

    def flops(inputs: tuple, params: dict, outputs: tuple) -> tuple[int, int]:
        elements = sum(math.prod(o.shape) for o in outputs)
        wanted = any(requires_grad(a) for a in inputs)
        return forward * elements, backward * elements * wanted

    return staticmethod(flops)


def _saved_versions(saved_arrays: tuple, args: tuple, outputs: tuple[Tensor, ...]) -> tuple:
    """``(counter, version, label, array)`` for each saved array that is a tensor's own array."""
    owners = [(a, f"input {i}") for i, a in enumerate(args) if isinstance(a, Tensor)]
    owners += [(o, f"output {i}") for i, o in enumerate(outputs)]
    saved = []
    for array in saved_arrays:
        for tensor, label in owners:
            if array is tensor.data:
                counter = tensor._version_counter
                saved.append((counter, counter.value, f"saved tensor {label}", array))
                break
    return tuple(saved)
