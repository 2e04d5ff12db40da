"""Weight initialisation, in place, with PyTorch's names (``torch.nn.init``).

Every function fills ``tensor.data`` in place (keeping its dtype, outside the
graph) and returns the tensor. Random ones draw from ``generator`` when given
and otherwise from tt-tensor's default generator, so
``tinytorch.tensor.manual_seed(0)`` makes a model's initial weights reproducible.

Why the scales: a layer y = W x with n inputs multiplies the variance of x by
n Var(W). Keeping activations (and gradients) at the same scale through many
layers needs Var(W) = gain^2 / fan, where ``fan`` is the number of inputs
(Kaiming/He, fan_in) or the mean of inputs and outputs (Xavier/Glorot), and
``gain`` corrects for what the nonlinearity does to the variance (sqrt(2)
for ReLU, which zeroes half of its inputs).
"""

from __future__ import annotations

import math

import numpy as np
from tinytorch.tensor import Tensor, default_generator

_LINEAR_GAINS = (
    "linear",
    "identity",
    "sigmoid",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
)


def _rng(generator: np.random.Generator | None) -> np.random.Generator:
    return generator if generator is not None else default_generator()


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    tensor.data[...] = values
    return tensor


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity (the factor on the init's std).

    ======================  ===================================
    nonlinearity            gain
    ======================  ===================================
    linear, conv, sigmoid   1
    tanh                    5/3
    relu                    sqrt(2)
    leaky_relu              sqrt(2 / (1 + negative_slope^2))
    selu                    3/4
    ======================  ===================================

    Args:
        nonlinearity: the name of the nonlinearity, as above.
        param: the negative slope of leaky_relu (default 0.01).
    """
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope * slope))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(
        f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of "
        f"{', '.join(_LINEAR_GAINS)}, tanh, relu, leaky_relu, selu"
    )


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight: how many inputs feed one output, and the reverse.

    A weight's shape is (out, in, *kernel): a Linear weight is (out_features,
    in_features), a Conv2d weight (out_channels, in_channels, kh, kw). Each output
    unit reads every input channel at every kernel position, and each input unit
    feeds every output channel at every kernel position: both fans count the kernel's
    positions (1 for a Linear weight), as PyTorch's do. Two ints.

    Raises:
        ValueError: for a tensor with fewer than 2 dims, naming its shape and saying
            "at least 2 dims".
    """
    # BEGIN SOLUTION
    if tensor.ndim < 2:
        raise ValueError(
            f"fan in and fan out cannot be computed for a tensor of shape {tuple(tensor.shape)}: "
            "at least 2 dims (out, in, ...) are needed"
        )
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field
    # END SOLUTION


def _fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} not supported; expected 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(
    tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Fill with samples of U(a, b)."""
    return _fill(tensor, _rng(generator).uniform(a, b, size=tensor.shape))


def normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill with samples of N(mean, std^2)."""
    return _fill(tensor, _rng(generator).normal(mean, std, size=tensor.shape))


def trunc_normal_(
    tensor: Tensor,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Fill with N(mean, std^2) samples redrawn until they lie in [a, b]."""
    rng = _rng(generator)
    values = rng.normal(mean, std, size=tensor.shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = rng.normal(mean, std, size=int(outside.sum()))
        outside = (values < a) | (values > b)
    return _fill(tensor, values)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with the value ``val``."""
    return _fill(tensor, val)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0."""
    return _fill(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1."""
    return _fill(tensor, 1)


def xavier_uniform_(
    tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Glorot uniform: fill with U(-a, a), ``a`` such that Var = 2 gain^2 / (fan_in + fan_out).

    The same variance as ``xavier_normal_``, from a uniform distribution.
    Draw with ``uniform_`` (in place, from ``generator`` or the default generator);
    the fans come from ``_calculate_fan_in_and_fan_out``. Returns ``tensor``.
    """
    # BEGIN SOLUTION
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)
    # END SOLUTION


def xavier_normal_(
    tensor: Tensor, gain: float = 1.0, generator: np.random.Generator | None = None
) -> Tensor:
    """Glorot normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """He uniform: fill with U(-bound, bound), ``bound`` chosen so that Var = gain^2 / fan.

    The same variance as ``kaiming_normal_``, from a uniform distribution:
    ``gain = calculate_gain(nonlinearity, a)``, ``fan`` the weight's fan_in or fan_out
    as ``mode`` says. Draw with ``uniform_``, from ``generator`` when given. Returns ``tensor``.

    Args:
        a: the negative slope of the leaky_relu that follows (only for 'leaky_relu').
        mode: 'fan_in' keeps the forward activations' variance, 'fan_out' the gradients';
            anything else is a ValueError (``_fan`` checks it).
        nonlinearity: the name given to ``calculate_gain``.

    ``Linear``'s default init is ``kaiming_uniform_(w, a=sqrt(5))``: its gain
    sqrt(2 / 6) makes the bound exactly 1 / sqrt(fan_in).
    """
    # BEGIN SOLUTION
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)
    # END SOLUTION


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: np.random.Generator | None = None,
) -> Tensor:
    """He normal: N(0, std^2) with std = gain / sqrt(fan)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal_(tensor, 0.0, std, generator)


# Short names, as in the papers.
glorot_uniform_ = xavier_uniform_
glorot_normal_ = xavier_normal_
he_uniform_ = kaiming_uniform_
he_normal_ = kaiming_normal_
