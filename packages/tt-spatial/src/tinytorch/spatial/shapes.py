"""Arguments and shapes of spatial layers: pairs, padding, output sizes, checks.

Every spatial op slides a window of ``kernel`` pixels over its input with a
``stride``, spaced ``dilation`` apart, after padding the input. Along one axis
of length ``L`` with padding ``before + after``, the window fits

    L_out = floor((L + before + after - dilation * (kernel - 1) - 1) / stride) + 1

times. The functions here turn user arguments (an int, a pair, ``'same'``)
into explicit per-axis numbers and raise errors that name the layer and the
expected NCHW shape.
"""

from __future__ import annotations

from collections.abc import Sequence

from tinytorch.tensor import ShapeError

Pair = tuple[int, int]
Padding2d = tuple[Pair, Pair]  # ((top, bottom), (left, right))


def pair(value: int | Sequence[int], name: str = "argument") -> Pair:
    """``3`` -> ``(3, 3)``; ``(3, 5)`` stays; anything else is an error naming ``name``."""
    if isinstance(value, int):
        return (value, value)
    values = tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) for v in values):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return (values[0], values[1])


def resolve_padding(
    padding: int | Sequence[int] | str, kernel: Pair, stride: Pair, dilation: Pair
) -> Padding2d:
    """Explicit ``((top, bottom), (left, right))`` padding from a Conv2d ``padding`` argument.

    ``'valid'`` is no padding. ``'same'`` pads ``dilation * (kernel - 1)`` pixels
    per axis so that the output keeps the input's size (stride 1 only); when
    that total is odd, the extra pixel goes after (bottom, right), as in PyTorch.
    """
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1, got stride={stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)  # type: ignore[return-value]
    if isinstance(padding, str):
        raise ValueError(f"padding must be an int, a pair, 'same' or 'valid'; got {padding!r}")
    ph, pw = pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    return ((ph, ph), (pw, pw))


def output_size(length: int, kernel: int, stride: int, pad: Pair, dilation: int) -> int:
    """How many window positions fit along one axis (the formula in the module docstring)."""
    return (length + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


def output_hw(input_hw: Sequence[int], kernel: Pair, stride: Pair, padding: Padding2d,
              dilation: Pair) -> Pair:
    """``(H_out, W_out)`` of a window op on an input of spatial size ``input_hw``."""
    return (
        output_size(input_hw[0], kernel[0], stride[0], padding[0], dilation[0]),
        output_size(input_hw[1], kernel[1], stride[1], padding[1], dilation[1]),
    )


def check_nchw(layer: str, shape: Sequence[int], channels: int | None = None) -> None:
    """Raise ShapeError unless ``shape`` is (N, C, H, W) with C == ``channels`` (when given)."""
    expected = f"(N, {channels if channels is not None else 'C'}, H, W)"
    if len(shape) != 4:
        raise ShapeError(
            f"{layer}: expected a 4-D input of shape {expected}, got shape {tuple(shape)} "
            f"({len(shape)}-D); add a batch dimension with x.unsqueeze(0) for a single image"
        )
    if channels is not None and shape[1] != channels:
        raise ShapeError(
            f"{layer}: expected input of shape {expected} with {channels} channels, "
            f"got shape {tuple(shape)} with {shape[1]} channels"
        )


def check_ncl(layer: str, shape: Sequence[int], channels: int) -> None:
    """Raise ShapeError unless ``shape`` is (N, C, L) with C == ``channels`` (1-D layers)."""
    if len(shape) != 3 or shape[1] != channels:
        raise ShapeError(
            f"{layer}: expected a 3-D input of shape (N, {channels}, L), got shape {tuple(shape)}"
        )


def check_output_hw(layer: str, input_shape: Sequence[int], out_hw: Pair) -> None:
    """Raise ShapeError when the window does not fit the (padded) input even once."""
    if out_hw[0] < 1 or out_hw[1] < 1:
        raise ShapeError(
            f"{layer}: input of shape {tuple(input_shape)} gives an empty output of spatial "
            f"size {out_hw}; the (dilated) kernel is larger than the padded input, so use a "
            "larger input, more padding or a smaller kernel"
        )


def check_positive(layer: str, **values: Pair) -> None:
    """Raise ValueError when a kernel size, stride or dilation is not positive."""
    for name, value in values.items():
        if min(value) < 1:
            raise ValueError(f"{layer}: {name} must be positive, got {value}")


def check_device(layer: str, device) -> None:
    """tinytorch computes with NumPy on the CPU: a ``device`` but None or "cpu" is an error."""
    if device not in (None, "cpu"):
        raise NotImplementedError(f"{layer}: device={device!r}: tinytorch runs on the CPU only")


def refuse_unsupported(layer: str, **arguments) -> None:
    """NotImplementedError for a PyTorch option given a value that tinytorch does not implement.

    Each keyword is ``name=(value, supported_value)``.
    """
    for name, (value, supported) in arguments.items():
        if value != supported:
            raise NotImplementedError(
                f"{layer}: {name}={value!r} is not supported by tinytorch (only {supported!r})"
            )
