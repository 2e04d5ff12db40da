"""BatchNorm2d (and BatchNorm1d): normalize each channel over the batch."""

from __future__ import annotations

import numpy as np
from tinytorch.nn import Module, Parameter, init
from tinytorch.tensor import ShapeError, Tensor

from .functional.normalization import batch_norm
from .shapes import check_device


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input layout."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device=None, dtype=None, bias: bool = True) -> None:
        super().__init__()
        check_device(type(self).__name__, device)
        dtype = np.float32 if dtype is None else dtype
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        """Statistics reset; gamma = 1, beta = 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input(self, shape: tuple[int, ...]) -> None:
        raise NotImplementedError

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """Normalize ``input`` with ``functional.batch_norm``, keeping the buffers up to date.

        The input shape is checked first (``self._check_input``). In training
        with running statistics, ``num_batches_tracked`` grows by one per call
        and ``momentum=None`` means a cumulative average (each batch weighs
        1 / num_batches_tracked); eval uses the running statistics and changes
        no buffer. Without running statistics (``track_running_stats=False``,
        the buffers are None) batch statistics serve in eval too. Errors name
        the layer: pass ``layer=repr(self)``.
        """
        # BEGIN SOLUTION
        self._check_input(tuple(input.shape))
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if momentum is None:  # a cumulative average over all batches seen
                momentum = 1.0 / float(self.num_batches_tracked.data)
        # Without running statistics (the buffers are None) batch statistics serve in eval too.
        use_batch_stats = self.training or not self.track_running_stats
        return batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                          use_batch_stats, momentum or 0.0, self.eps, layer=repr(self))
        # END SOLUTION

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm2d(_BatchNorm):
    r"""Batch normalization of each channel of an NCHW batch, as ``torch.nn.BatchNorm2d``.

    $$
    y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta
    $$

    In training, mean and (biased) variance are taken per channel over N, H
    and W of the batch, and folded into the running statistics:
    running = (1 - momentum) running + momentum batch, with the unbiased
    variance. In ``eval()`` mode the running statistics are used instead.

    Args:
        num_features: C, the number of channels.
        eps: added to the variance for numerical stability (default 1e-5).
        momentum: the weight of each new batch in the running statistics
            (default 0.1); None for a cumulative average.
        affine: learn gamma (``weight``) and beta (``bias``) per channel.
        track_running_stats: keep running statistics; when False, batch
            statistics are used in evaluation too.
        device: only None or ``"cpu"``.
        dtype: the parameters' dtype (default float32).
        bias: with ``affine``, learn beta too (False: gamma only).

    Shape:
        - Input: (N, C, H, W)
        - Output: (N, C, H, W)

    Attributes:
        weight: (C,), ones. bias: (C,), zeros.
        running_mean: (C,) buffer, zeros. running_var: (C,) buffer, ones.
        num_batches_tracked: () int64 buffer.

    Examples:
        >>> BatchNorm2d(16)(tinytorch.tensor.randn(8, 16, 5, 5)).shape
        (8, 16, 5, 5)
    """

    def _check_input(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 4 or shape[1] != self.num_features:
            raise ShapeError(f"{self!r}: expected input of shape (N, {self.num_features}, H, W), "
                             f"got shape {shape}")


class BatchNorm1d(_BatchNorm):
    r"""Batch normalization of each feature of an (N, C) or (N, C, L) batch, as PyTorch's.

    $$
    y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} * \gamma + \beta
    $$

    Args:
        num_features: C, the number of features.
        eps: added to the variance for numerical stability (default 1e-5).
        momentum: the weight of each new batch in the running statistics
            (default 0.1); None for a cumulative average.
        affine: learn gamma (``weight``) and beta (``bias``) per feature.
        track_running_stats: keep running statistics; when False, batch
            statistics are used in evaluation too.
        device: only None or ``"cpu"``.
        dtype: the parameters' dtype (default float32).
        bias: with ``affine``, learn beta too (False: gamma only).

    Shape:
        - Input: (N, C) or (N, C, L)
        - Output: the same shape

    Examples:
        >>> BatchNorm1d(64)(tinytorch.tensor.randn(32, 64)).shape
        (32, 64)
    """

    def _check_input(self, shape: tuple[int, ...]) -> None:
        if len(shape) not in (2, 3) or shape[1] != self.num_features:
            raise ShapeError(f"{self!r}: expected input of shape (N, {self.num_features}) or "
                             f"(N, {self.num_features}, L), got shape {shape}")

