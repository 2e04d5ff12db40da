"""Batch normalization over the channels of an NCHW (or NC, NCL) batch.

Per channel c, over the M = N * H * W values of the batch:

    mean_c = (1/M) sum x        var_c = (1/M) sum (x - mean_c)^2        (biased)
    x_hat  = (x - mean_c) / sqrt(var_c + eps)
    y      = weight_c * x_hat + bias_c

In training the statistics are the batch's (so they depend on x, and the
backward must account for it); in evaluation they are the running
statistics, constants. Running statistics follow an exponential moving
average with the *unbiased* batch variance var_c * M / (M - 1), as PyTorch does.
``_channel_sum`` and ``_channel_dot`` are the fast per-channel sums.
"""

from __future__ import annotations

import numpy as np
from tinytorch.autograd import Function, per_element_flops
from tinytorch.tensor import ShapeError, Tensor


def _channel_shape(x: np.ndarray) -> tuple[int, ...]:
    """(1, C, 1, 1) for NCHW, (1, C) for NC, ...: how per-channel values broadcast."""
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _channel_sum(x: np.ndarray) -> np.ndarray:
    """Sum over every axis but the channels, shape (C,): the batch first, then each row.

    (Summing whole images first and contiguous rows last is about twice as fast
    as ``x.sum(axis=(0, 2, 3))``.)
    """
    return x.sum(axis=0).reshape(x.shape[1], -1).sum(axis=1)


def _channel_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``_channel_sum(a * b)`` without the temporary product, shape (C,).

    (``einsum`` multiplies and adds in one pass: about 2.5x faster on a batch of images.)
    """
    axes = "nc" + "xyz"[:a.ndim - 2]  # n, c, then one letter per spatial axis
    return np.einsum(f"{axes},{axes}->c", a, b)


class BatchNormFunction(Function):
    """y = weight * (x - mean) / sqrt(var + eps) + bias, per channel.

    With ``training=True`` the batch statistics are used (and, when running
    arrays are given, folded into them in place); otherwise ``running_mean``
    and ``running_var``.
    """

    flops = per_element_flops(6, 10)  # center, scale, affine; the statistics

    @staticmethod
    def forward(ctx, x, weight, bias, *, running_mean, running_var, training: bool,
                momentum: float, eps: float):
        """y, x's shape and dtype, as the module docstring's formula (per channel, axis 1).

        Args:
            x: (N, C, ...) float32 or float64.
            weight: gamma, a (C,) array, or None (then 1).
            bias: beta, a (C,) array, or None (then 0).
            running_mean: a (C,) array, or None (only with ``training``).
            running_var: a (C,) array, or None with running_mean.
            training: True: the batch's mean and *biased* variance normalize x,
                and when ``running_mean`` is given both running arrays are
                updated in place by ``_update_running`` (once per call).
                False: the running arrays normalize x and stay unchanged.
            momentum: the weight of this batch in the running statistics.
            eps: added to the variance inside the square root.

        Save on ``ctx`` what the backward needs (it gets only dL/dy).
        """
        # BEGIN SOLUTION
        shape, count = _channel_shape(x), x.size // x.shape[1]
        if training:  # x is centered once; its square gives the (biased) variance
            mean = _channel_sum(x) / count
            centered = x - mean.reshape(shape)
            var = _channel_dot(centered, centered) / count
            if running_mean is not None:
                _update_running(running_mean, running_var, mean, var, count, momentum)
        else:
            centered = x - running_mean.reshape(shape).astype(x.dtype)
            var = running_var
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)             # (C,)
        x_hat = centered
        x_hat *= inv_std.reshape(shape)
        y = x_hat if weight is None else x_hat * weight.reshape(shape)
        if bias is not None:
            y = y + bias.reshape(shape)
        ctx.save_for_backward(x_hat, inv_std, weight)
        ctx.training = training
        return y
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_y):
        """(dL/dx, dL/dweight, dL/dbias) from dL/dy (x's shape; read-only).

        dL/dx has x's shape and dtype, dL/dweight and dL/dbias shape (C,). In
        training the mean and variance are functions of x, and dL/dx must
        include their dependence; in evaluation they are constants. Compute
        only what ``ctx.needs_input_grad`` (three bools) asks for and return
        None in the other places (and for a None weight or bias); dL/dx is still
        right when the weight and bias need no gradient. Given: ``_channel_sum``
        and ``_channel_dot``.
        """
        # BEGIN SOLUTION
        x_hat, inv_std, weight = ctx.saved_tensors
        shape, count = _channel_shape(x_hat), x_hat.size // x_hat.shape[1]
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        sums_for_x = need_x and ctx.training
        grad_bias = _channel_sum(grad_y) if need_bias or sums_for_x else None
        grad_weight = _channel_dot(grad_y, x_hat) if need_weight or sums_for_x else None
        grad_x = None
        if need_x:
            scale = inv_std if weight is None else inv_std * weight     # (C,)
            grad_x = grad_y * scale.reshape(shape)
            if ctx.training:
                grad_x -= x_hat * (scale * grad_weight / count).reshape(shape)
                grad_x -= (scale * grad_bias / count).reshape(shape)
        return grad_x, grad_weight if need_weight else None, grad_bias if need_bias else None
        # END SOLUTION


def _update_running(running_mean: np.ndarray, running_var: np.ndarray, mean: np.ndarray,
                    var: np.ndarray, count: int, momentum: float) -> None:
    """Fold one batch's statistics into the running ones, in place.

    running_mean <- (1 - momentum) running_mean + momentum mean, and the same
    for running_var with the *unbiased* batch variance: ``var`` is the biased
    one over ``count`` values per channel (at least 2: ``batch_norm`` refuses
    fewer); all four are (C,) arrays. The running arrays keep their dtype and
    identity (they are a module's buffers).
    """
    # BEGIN SOLUTION
    unbiased_var = var * (count / (count - 1))
    running_mean *= 1 - momentum
    running_mean += momentum * mean
    running_var *= 1 - momentum
    running_var += momentum * unbiased_var
    # END SOLUTION


def _array(value):
    """The NumPy array of a Tensor buffer (shared, so in-place updates reach the buffer)."""
    return value.data if isinstance(value, Tensor) else value


def batch_norm(
    input: Tensor,  # noqa: A002 - PyTorch's name
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
    *,
    layer: str = "batch_norm",
) -> Tensor:
    r"""Batch normalization, as ``torch.nn.functional.batch_norm``.

    $$
    y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta
    $$

    Args:
        input: (N, C, H, W), (N, C, L) or (N, C).
        running_mean: a (C,) buffer, or None (then ``training`` must be True).
            In training it is updated in place:
            running = (1 - momentum) running + momentum batch_statistic.
        running_var: the same for the variance (the unbiased batch variance).
        weight: gamma, (C,), or None.
        bias: beta, (C,), or None.
        training: normalize with the batch's statistics (True) or the running ones.
        momentum: the weight of the new batch in the running statistics.
        eps: added to the variance for numerical stability.

    Shape:
        - Input: (N, C, H, W) or (N, C)
        - Output: the same shape

    Examples:
        >>> x = tinytorch.tensor.randn(8, 3, 4, 4)
        >>> mean, var = tinytorch.tensor.zeros(3), tinytorch.tensor.ones(3)
        >>> batch_norm(x, mean, var, training=True).shape
        (8, 3, 4, 4)
    """
    shape = tuple(input.shape)
    if len(shape) < 2:
        raise ShapeError(f"{layer}: expected input of shape (N, C, H, W), (N, C, L) or (N, C), "
                         f"got shape {shape}")
    if running_mean is None and not training:
        raise ValueError(f"{layer}: evaluation mode needs running_mean and running_var")
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        if value is not None and tuple(value.shape) != (shape[1],):
            raise ShapeError(f"{layer}: {name} has shape {tuple(value.shape)}, expected "
                             f"({shape[1]},) for input of shape {shape} with {shape[1]} channels")
    if training and shape[0] * int(np.prod(shape[2:])) < 2:
        raise ValueError(f"{layer}: expected more than 1 value per channel when training, "
                         f"got input of shape {shape}")
    return BatchNormFunction.apply(input, weight, bias, running_mean=_array(running_mean),
                                   running_var=_array(running_var), training=training,
                                   momentum=momentum, eps=eps)
