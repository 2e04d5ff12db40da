"""Module-level functions as in ``torch``: ``tinytorch.tensor.exp(x)`` is ``x.exp()``.

PyTorch offers most Tensor methods also as functions that take the tensor
first (``torch.sum(x, dim=1)``, ``torch.softmax(x, dim=-1)``). Each of these
is made here from its method, so a function and its method can never
disagree, and every one of them requires a Tensor as first argument, as
PyTorch does.

Several have the names of Python builtins (``sum``, ``max``, ``min``, ``abs``,
``pow``, ``any``, ``all``). They are attributes of the ``tinytorch.tensor``
package (looked up in ``FUNCTIONS`` by its ``__getattr__``) and are never
defined under those names in a module, so no module's ``sum`` hides Python's.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from .tensor import Tensor

METHOD_FUNCTIONS: tuple[str, ...] = (
    # elementwise
    "abs", "clamp", "clip", "cos", "exp", "floor_divide", "log", "maximum", "minimum",
    "pow", "relu", "remainder", "sigmoid", "sin", "sqrt", "tanh",
    "add", "sub", "mul", "div", "neg", "eq", "ne", "lt", "le", "gt", "ge",
    "matmul",
    # reductions, scans, ordering
    "all", "amax", "amin", "any", "argmax", "argmin", "argsort", "cumsum", "log_softmax",
    "max", "mean", "min", "prod", "softmax", "sort", "std", "sum", "topk", "var",
    # shape, pieces and copies
    "broadcast_to", "chunk", "clone", "detach", "flatten", "gather", "masked_fill", "numel",
    "permute", "reshape", "split", "squeeze", "transpose", "tril", "triu", "unsqueeze",
)  # fmt: skip
"""The Tensor methods that PyTorch also has as module-level functions of the same name."""


def method_function(name: str) -> Callable[..., Any]:
    """``function(input, *args, **kwargs)`` = ``input.<name>(*args, **kwargs)``, documented
    and signed like the method (with ``input`` in place of ``self``)."""
    method = getattr(Tensor, name)

    @functools.wraps(method)
    def function(tensor, /, *args, **kwargs):
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"{name}(): expected a Tensor as first argument (input), got "
                f"{type(tensor).__name__}; make one with tinytorch.tensor.tensor(...)"
            )
        return method(tensor, *args, **kwargs)

    signature = inspect.signature(method)
    first, *rest = signature.parameters.values()
    function.__signature__ = signature.replace(
        parameters=[first.replace(name="input", kind=first.POSITIONAL_ONLY), *rest]
    )
    function.__name__ = function.__qualname__ = name  # an alias (clamp, broadcast_to) too
    function.__module__ = "tinytorch.tensor"
    del function.__wrapped__  # the signature above, not the method's with self
    return function


FUNCTIONS: dict[str, Callable[..., Any]] = {
    name: method_function(name) for name in METHOD_FUNCTIONS
}
"""``tinytorch.tensor.<name>`` for every name of ``METHOD_FUNCTIONS``."""
