"""tinytorch.tensor: n-dimensional arrays on NumPy with PyTorch's names.

Forward math only. Gradients come from tt-autograd, which plugs into the
dispatcher (``tinytorch.tensor.dispatch``) when installed.

As in ``torch``, the Tensor methods are also functions of this package that
take the tensor first (``tinytorch.tensor.sum(x, dim=1)``; see ``functions``).
"""

from . import dispatch, indexing, io, ops, shapes
from .__about__ import __version__
from .creation import (
    arange,
    default_generator,
    eye,
    full,
    full_like,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    tensor,
    zeros,
    zeros_like,
)
from .dispatch import increment_version
from .errors import DTypeError, ShapeError
from .functions import FUNCTIONS
from .promotion import promote_types, result_type
from .shapes import broadcast_shapes
from .tensor import Tensor, ValuesIndices, VersionCounter, addmm, cat, stack, where

float32 = "float32"
float64 = "float64"
int64 = "int64"

__all__ = [
    "DTypeError",
    "ShapeError",
    "Tensor",
    "ValuesIndices",
    "VersionCounter",
    "__version__",
    "addmm",
    "arange",
    "broadcast_shapes",
    "cat",
    "default_generator",
    "dispatch",
    "eye",
    "float32",
    "float64",
    "full",
    "full_like",
    "indexing",
    "increment_version",
    "int64",
    "io",
    "manual_seed",
    "ones",
    "ones_like",
    "ops",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "promote_types",
    "result_type",
    "shapes",
    "stack",
    "tensor",
    "where",
    "zeros",
    "zeros_like",
]
__all__ += list(FUNCTIONS)  # torch's functions made from Tensor methods (functions.py)


def __getattr__(name: str):
    """``tinytorch.tensor.sum`` and the other torch functions made from Tensor methods."""
    try:
        return FUNCTIONS[name]
    except KeyError:
        raise AttributeError(f"module 'tinytorch.tensor' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted({*globals(), *FUNCTIONS})
