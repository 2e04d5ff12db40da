"""Parameter: a Tensor that a Module learns.

A ``Parameter`` is an ordinary Tensor with two differences, as in PyTorch:
it requires grad by default, and assigning one as an attribute of a
``Module`` registers it, so ``module.parameters()`` finds it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tinytorch.tensor import Tensor


def _parameter_array(data: Any) -> np.ndarray:
    """The array a Parameter holds: a Tensor's own array (shared), float data kept at its dtype."""
    array = data.data if isinstance(data, Tensor) else np.asarray(data)
    if array.dtype.kind != "f":
        array = array.astype(np.float32)
    return array


class Parameter(Tensor):
    """A Tensor that is a learnable parameter of a Module.

    Args:
        data: the initial values (a Tensor, whose array is shared, or anything
            ``numpy.asarray`` accepts). Floating data keeps its dtype; other
            data becomes float32.
        requires_grad: whether backward() computes ``.grad`` for it (default True).

    Examples:
        >>> w = Parameter(np.zeros((3, 2), dtype=np.float32))
        >>> w.requires_grad
        True
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        array = _parameter_array(np.zeros(0, np.float32) if data is None else data)
        super().__init__(array, requires_grad=requires_grad, dtype=array.dtype)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
