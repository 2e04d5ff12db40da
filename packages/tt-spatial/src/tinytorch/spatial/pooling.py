"""Pooling layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d."""

from __future__ import annotations

from collections.abc import Sequence

from tinytorch.nn import Module
from tinytorch.tensor import Tensor

from .functional.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .shapes import pair, refuse_unsupported


class MaxPool2d(Module):
    r"""The maximum of each window, as ``torch.nn.MaxPool2d`` (only ``ceil_mode=False``).

    $$
    \text{out}(N_i, C_j, h, w) = \max_{m < kh,\, n < kw}
        \text{input}(N_i, C_j, \text{stride}_h h + \text{dilation}_h m,
                               \text{stride}_w w + \text{dilation}_w n)
    $$

    Backward sends each window's gradient to one element: the first maximum
    in scan order (row by row), so ties are broken deterministically.

    Args:
        kernel_size: the window (int or pair).
        stride: the step between windows (default: ``kernel_size``).
        padding: implicit -inf on both sides, at most half the kernel.
        dilation: the spacing between window elements.
        return_indices: only False (NotImplementedError otherwise).
        ceil_mode: only False (NotImplementedError otherwise).

    Shape:
        - Input: (N, C, H, W)
        - Output: (N, C, H_out, W_out), H_out = floor((H + 2 p - d (k - 1) - 1) / s) + 1

    Examples:
        >>> MaxPool2d(2)(tinytorch.tensor.randn(8, 16, 32, 32)).shape
        (8, 16, 16, 16)
    """

    def __init__(self, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
                 padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        refuse_unsupported("MaxPool2d", return_indices=(return_indices, False),
                           ceil_mode=(ceil_mode, False))
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, "stride")
        self.padding, self.dilation = pair(padding, "padding"), pair(dilation, "dilation")

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          layer=repr(self))

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}")


class AvgPool2d(Module):
    r"""The mean of each window, as ``torch.nn.AvgPool2d`` (only ``ceil_mode=False``).

    $$
    \text{out}(N_i, C_j, h, w) = \frac{1}{kh \cdot kw} \sum_{m < kh,\, n < kw}
        \text{input}(N_i, C_j, \text{stride}_h h + m, \text{stride}_w w + n)
    $$

    Args:
        kernel_size: the window (int or pair).
        stride: the step between windows (default: ``kernel_size``).
        padding: implicit zeros on both sides, at most half the kernel.
        ceil_mode: only False (NotImplementedError otherwise).
        count_include_pad: divide by kh * kw (True), or by the window's pixels inside the input.
        divisor_override: divide every window's sum by this instead.

    Shape:
        - Input: (N, C, H, W)
        - Output: (N, C, H_out, W_out), H_out = floor((H + 2 p - k) / s) + 1

    Examples:
        >>> AvgPool2d(2)(tinytorch.tensor.randn(8, 16, 32, 32)).shape
        (8, 16, 16, 16)
    """

    def __init__(self, kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = None,
                 padding: int | Sequence[int] = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        refuse_unsupported("AvgPool2d", ceil_mode=(ceil_mode, False))
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, "stride")
        self.padding = pair(padding, "padding")
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding,
                          count_include_pad=self.count_include_pad,
                          divisor_override=self.divisor_override, layer=repr(self))

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    r"""Average over bins chosen so the output has a fixed size, as ``torch.nn.AdaptiveAvgPool2d``.

    $$
    \text{out}(N_i, C_j) = A_h \, \text{input}(N_i, C_j) \, A_w^T
    $$

    with A_h (H_out, H) averaging rows floor(i H / H_out) to ceil((i + 1) H / H_out)
    and A_w likewise; ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Args:
        output_size: (H_out, W_out), an int for both, or None in a pair to keep that size.

    Shape:
        - Input: (N, C, H, W)
        - Output: (N, C, H_out, W_out)

    Examples:
        >>> AdaptiveAvgPool2d(1)(tinytorch.tensor.randn(8, 64, 7, 7)).shape
        (8, 64, 1, 1)
    """

    def __init__(self, output_size: int | Sequence[int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return adaptive_avg_pool2d(input, self.output_size, layer=repr(self))

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
