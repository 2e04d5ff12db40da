"""Loss functions as modules (the math lives in ``functional``).

Every loss takes ``reduction``: 'mean' (default) averages the per-element
losses, 'sum' adds them, 'none' returns them unreduced.
"""

from __future__ import annotations

from tinytorch.tensor import Tensor

from . import functional as F
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """l_n = (x_n - y_n)^2, reduced.

    Shape:
        Input (*), target (*) of the same shape; output a scalar ((*) with 'none').
    """

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002
        return F.mse_loss(input, target, self.reduction)


class BCELoss(_Loss):
    """l_n = -w_n (y_n log x_n + (1 - y_n) log(1 - x_n)) on probabilities x in [0, 1].

    Each log is clamped to >= -100, as in PyTorch, so x = 0 or 1 gives a finite loss.

    Args:
        weight: a rescaling weight broadcast over the elements.
        reduction: 'mean', 'sum' or 'none'.

    Shape:
        Input (*), target (*) of the same shape, both in [0, 1].
    """

    def __init__(self, weight=None, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid and BCELoss in one numerically stable step, on logits x.

    l_n = -w_n (p y_n log sigmoid(x_n) + (1 - y_n) log(1 - sigmoid(x_n))), p = pos_weight.

    Args:
        weight: a rescaling weight broadcast over the elements.
        reduction: 'mean', 'sum' or 'none'.
        pos_weight: a weight on positive examples, broadcast over the last dim.
    """

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None) -> None:
        super().__init__(reduction)
        self.weight = weight
        self.pos_weight = pos_weight

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, self.reduction, self.pos_weight
        )


class NLLLoss(_Loss):
    """l_n = -w[y_n] x[n, y_n] on log-probabilities x (pair it with LogSoftmax(dim=1)).

    Args:
        weight: a weight per class, shape (C,).
        ignore_index: a target value that contributes nothing (default -100).
        reduction: 'mean' (divided by the summed weights of counted targets), 'sum' or 'none'.

    Shape:
        Input (N, C) or (N, C, d1, ...), target (N,) or (N, d1, ...) of integer classes.
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.weight = weight
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits against integer class targets: NLLLoss(LogSoftmax(x, dim=1)).

    l_n = (1 - e) w[y_n] (-log p[n, y_n]) + (e / C) sum_c w[c] (-log p[n, c]),
    p = softmax(x, dim=1), e = label_smoothing. Computed as one fused node,
    stable for logits of any magnitude.

    Args:
        weight: a weight per class, shape (C,).
        ignore_index: a target value that contributes nothing (default -100).
        reduction: 'mean', 'sum' or 'none'.
        label_smoothing: e in [0, 1] (default 0).

    Shape:
        Input (N, C) or (N, C, d1, ...), target (N,) or (N, d1, ...) of integer classes.

    Examples:
        >>> loss = CrossEntropyLoss()(model(x), labels)
        >>> loss.backward()
    """

    def __init__(
        self,
        weight=None,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(reduction)
        self.weight = weight
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target) -> Tensor:  # noqa: A002
        return F.cross_entropy(
            input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing
        )

    def extra_repr(self) -> str:
        parts = [super().extra_repr()] if self.reduction != "mean" else []
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(parts)
