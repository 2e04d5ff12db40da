"""Conv2d and Conv1d: learnable filters slid over images (and sequences)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from tinytorch.nn import Module, Parameter, init
from tinytorch.tensor import Tensor

from .functional.conv import PADDING_MODES, conv2d_padded
from .shapes import check_device, check_ncl, check_positive, pair, resolve_padding


class Conv2d(Module):
    r"""2-D convolution over an NCHW batch, as ``torch.nn.Conv2d``.

    $$
    \text{out}(N_i, C_{out_j}) = \text{bias}(C_{out_j})
        + \sum_{k=0}^{C_{in}/G - 1} \text{weight}(C_{out_j}, k) \star \text{input}(N_i, k)
    $$

    where $\star$ is 2-D cross-correlation, computed with im2col and one
    batched matrix multiply (see ``tinytorch.spatial.im2col``).

    Args:
        in_channels: C_in, the channels of the input.
        out_channels: C_out, the number of filters.
        kernel_size: (kh, kw) or an int for both.
        stride: the step between windows (int or pair).
        padding: pixels added on both sides (int or pair), ``'valid'`` (none)
            or ``'same'`` (output as large as the input; stride 1 only).
        dilation: the spacing between kernel elements (int or pair).
        groups: split channels into this many groups, each with its own filters;
            in_channels and out_channels must be divisible by it.
        bias: learn an additive bias per output channel (default True).
        padding_mode: ``'zeros'``, ``'reflect'``, ``'replicate'`` or ``'circular'``.
        device: only None or ``"cpu"`` (tinytorch runs on NumPy).
        dtype: the parameters' dtype (default float32).

    Shape:
        - Input: (N, C_in, H, W)
        - Output: (N, C_out, H_out, W_out) with
          H_out = floor((H + 2 padding_h - dilation_h (kh - 1) - 1) / stride_h) + 1
          and likewise W_out.

    Attributes:
        weight: (C_out, C_in / groups, kh, kw), from U(-k, k) with
            k = 1 / sqrt(C_in / groups * kh * kw) (``init.kaiming_uniform_`` with a = sqrt(5)).
        bias: (C_out,), from U(-k, k).

    Examples:
        >>> conv = Conv2d(3, 16, kernel_size=3, padding=1)
        >>> conv(tinytorch.tensor.randn(8, 3, 32, 32)).shape
        (8, 16, 32, 32)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                 dilation: int | Sequence[int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        super().__init__()
        check_device(type(self).__name__, device)
        dtype = np.float32 if dtype is None else dtype
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride, self.dilation = pair(stride, "stride"), pair(dilation, "dilation")
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding")
        self.groups, self.padding_mode = groups, padding_mode
        self._check_arguments()
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def _check_arguments(self) -> None:
        name = type(self).__name__
        if self.groups < 1 or self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"{name}: in_channels={self.in_channels} and out_channels="
                             f"{self.out_channels} must both be divisible by groups={self.groups}")
        if self.padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {sorted(PADDING_MODES)}, "
                             f"got {self.padding_mode!r}")
        check_positive(name, kernel_size=self.kernel_size, stride=self.stride,
                       dilation=self.dilation)
        resolve_padding(self.padding, self.kernel_size, self.stride, self.dilation)

    def reset_parameters(self) -> None:
        """PyTorch's default init, in place: weight and bias from U(-b, b), b = 1 / sqrt(fan_in).

        fan_in is the number of inputs of one output pixel, over the input
        channels of its group and the kernel. The weight goes through tt-nn's
        ``init.kaiming_uniform_`` with ``a=math.sqrt(5)`` (the same bound), so it
        uses tt-nn's random source; the bias (when there is one) through
        ``init.uniform_``. Values only: the Parameters, shapes and dtypes stay.
        """
        # BEGIN SOLUTION
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)
        # END SOLUTION

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return conv2d_padded(input, self.weight, self.bias, self.stride, self.padding,
                             self.dilation, self.groups, self.padding_mode, layer=repr(self))

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        defaults = {"stride": (1, 1), "padding": (0, 0), "dilation": (1, 1), "groups": 1}
        for key, default in defaults.items():
            if getattr(self, key) != default:
                text += f", {key}={getattr(self, key)!r}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode!r}"
        return text


class Conv1d(Conv2d):
    r"""1-D convolution over an NCL batch, as ``torch.nn.Conv1d``.

    $$
    \text{out}(N_i, C_{out_j}) = \text{bias}(C_{out_j})
        + \sum_{k=0}^{C_{in}/G - 1} \text{weight}(C_{out_j}, k) \star \text{input}(N_i, k)
    $$

    A Conv2d whose images have height 1: the same im2col kernels run it.

    Args:
        in_channels: C_in, the channels of the input.
        out_channels: C_out, the channels the layer makes.
        kernel_size: k, an int.
        stride: an int, as Conv2d's along the one axis.
        padding: an int, ``'valid'`` or ``'same'``, as Conv2d's along the one axis.
        dilation: an int, as Conv2d's along the one axis.
        groups: as Conv2d.
        bias: as Conv2d.
        padding_mode: as Conv2d.
        device: as Conv2d.
        dtype: as Conv2d.

    Shape:
        - Input: (N, C_in, L)
        - Output: (N, C_out, L_out) with
          L_out = floor((L + 2 padding - dilation (k - 1) - 1) / stride) + 1

    Attributes:
        weight: (C_out, C_in / groups, k), initialised as Conv2d's.
        bias: (C_out,).

    Examples:
        >>> Conv1d(4, 8, kernel_size=3)(tinytorch.tensor.randn(2, 4, 20)).shape
        (2, 8, 18)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int | str = 0, dilation: int = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device=None, dtype=None) -> None:
        padding_2d = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
        super().__init__(in_channels, out_channels, (1, _single(kernel_size, "kernel_size")),
                         (1, _single(stride, "stride")), padding_2d,
                         (1, _single(dilation, "dilation")), groups, bias, padding_mode, device,
                         dtype)
        self.weight.data = self.weight.data[:, :, 0, :]  # (C_out, C_in / groups, k)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        """(N, C_in, L) -> (N, C_out, L_out), through the same 2-D convolution as Conv2d.

        The layer's geometry is stored 2-D already (``self.kernel_size`` is
        (1, k), ``self.stride`` (1, s), ...), the weight 3-D (C_out, C_in / groups, k).
        Any input but (N, in_channels, L) is a ShapeError from
        ``shapes.check_ncl`` naming the layer (``repr(self)``) and the expected
        shape; other errors name the layer too (pass ``layer=repr(self)``), as
        Conv2d.forward does. Gradients reach the input, the weight and the bias.
        """
        # BEGIN SOLUTION
        check_ncl(repr(self), input.shape, self.in_channels)
        out = conv2d_padded(input.unsqueeze(2), self.weight.unsqueeze(2), self.bias, self.stride,
                            self.padding, self.dilation, self.groups, self.padding_mode,
                            layer=repr(self))
        return out.squeeze(2)
        # END SOLUTION

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size[1:]}"
        for key, default in {"stride": 1, "padding": 0, "dilation": 1}.items():
            value = getattr(self, key)
            if isinstance(value, str) or value[1] != default:
                text += f", {key}={value if isinstance(value, str) else value[1:]!r}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


def _single(value, name: str) -> int:
    """An int from an int or a 1-tuple (Conv1d's arguments)."""
    if isinstance(value, Sequence) and len(value) == 1:
        value = value[0]
    if not isinstance(value, int):
        raise ValueError(f"Conv1d: {name} must be an int, got {value!r}")
    return value
