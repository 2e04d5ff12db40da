"""Acceleration: how far apart naive and vectorized kernels are, and what fusing buys.

Three lessons, each measured on the machine at hand (``measure_accelerations``):

1. *Loops versus vectorized kernels.* ``conv2d_naive`` (tt-spatial) loops
   over images, filters and pixels; the im2col ``conv2d`` does one batched
   matrix multiply. ``attention_loop`` computes attention one query position at
   a time; tt-attention's ``scaled_dot_product_attention`` does every position
   (and head) in two batched matmuls. Same numbers, very different speed: the
   loops pay Python's per-iteration cost and hand BLAS tiny pieces of work.
2. *Fused kernels.* A composition of Tensor ops (``gelu_unfused``,
   ``layer_norm_unfused``, ``softmax_cross_entropy_unfused``,
   ``attention_unfused``) creates one temporary array and one graph node per
   step and reads memory again at each step; the library's fused ``Function``
   behind tt-nn's ``gelu`` and ``cross_entropy`` and tt-attention's
   ``layer_norm`` and ``scaled_dot_product_attention`` does the forward in one
   go and applies the closed-form derivative in one backward. The compositions
   here are what those kernels are measured against (``measure_accelerations``,
   ``benchmarks/bench_fused.py``), and equal them in the tests. The one kernel
   the library does not have, a convolution fused with its ReLU and pooling,
   is below (``conv_relu_maxpool2d``).
3. *BLAS threads and float32.* NumPy's matmul calls BLAS (OpenBLAS here),
   which starts one thread per core unless ``OPENBLAS_NUM_THREADS`` says
   otherwise; the variable is read once, when NumPy is first imported, so set
   it in the environment before Python starts. On a small machine shared with
   other work, several threads fight for the cores and can be many times
   slower than one: benchmarks pin one thread. Float32 halves memory traffic
   and doubles SIMD width compared with float64, so matmuls run about twice as
   fast; one float64 constant silently promotes a whole expression
   (``blas_note()`` reports the current settings).
4. *Fresh memory is not free.* glibc's malloc hands a block larger than its
   mmap threshold (at most 32 MB) fresh pages from the kernel and returns them
   on free, so every such array page-faults again: an im2col buffer of 64
   images, 16 channels, 3x3, 32x32 (38 MB) costs about 4 ms of faults each
   time, as much as filling it. ``keep_freed_memory()`` sets, from inside the
   process, the thresholds ``nox -s bench`` puts in the environment
   (``benchmark.MALLOC_VARIABLES``), so freed blocks are kept and reused.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from tinytorch.autograd import Function, requires_grad
from tinytorch.nn import Module, Sequential
from tinytorch.tensor import Tensor

from .benchmark import MALLOC_VARIABLES, THREAD_VARIABLES
from .profiler import measure_latency


def blas_note() -> dict:
    """The BLAS thread settings in force and the float dtype a new Tensor gets, with advice."""
    threads = {name: os.environ.get(name, "unset") for name in THREAD_VARIABLES}
    advice = (
        "one BLAS thread: timings are stable"
        if threads["OPENBLAS_NUM_THREADS"] == "1"
        else "set OPENBLAS_NUM_THREADS=1 before starting Python for stable timings on shared cores"
    )
    default_float = str(Tensor(0.0).dtype)  # asked of tt-tensor, not assumed
    return {"threads": threads, "cores": os.cpu_count(), "float": default_float, "advice": advice}


# glibc's mallopt parameters (malloc.h), and the variables that set them at start-up
_MALLOPT = {"MALLOC_TRIM_THRESHOLD_": -1, "MALLOC_MMAP_THRESHOLD_": -3}


def keep_freed_memory() -> str:
    """Set ``benchmark.MALLOC_VARIABLES``' glibc thresholds in the running process; say what it did.

    By default glibc maps a block above its mmap threshold (128 kB, adapting
    up to 32 MB) fresh and unmaps it when freed, so each new large array pays
    one page fault per 4 kB page. ``nox -s bench`` sets MALLOC_VARIABLES in the
    environment before Python starts; ``mallopt`` does the same from inside a
    running process (a script, a milestone), so freed blocks stay in the heap
    and the next array of that size reuses their pages. Process-wide, for
    NumPy and PyTorch alike; the process then keeps its peak memory. Does
    nothing, and says so, where the C library is not glibc.
    """
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "mallopt") or not hasattr(libc, "gnu_get_libc_version"):
        return "allocator: default (not glibc, keep_freed_memory does nothing here)"
    for variable, value in MALLOC_VARIABLES.items():
        if not libc.mallopt(_MALLOPT[variable], int(value)):
            return f"allocator: default (glibc refused {variable[:-1]}={value})"
    settings = ", ".join(f"{k[:-1]}={v}" for k, v in MALLOC_VARIABLES.items())
    return f"allocator: glibc keeps freed blocks for reuse ({settings}; keep_freed_memory)"


# ----------------------------------------------------------------------------- attention


def attention_loop(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool = True) -> np.ndarray:
    """softmax(q_t . K^T / sqrt(E)) V computed for one query position t at a time (the slow way).

    Shapes: q (B, L, E), k (B, S, E), v (B, S, Ev); B may fold batch and heads.
    """
    # BEGIN SOLUTION
    batch, length, embed = q.shape
    out = np.zeros((batch, length, v.shape[-1]), dtype=q.dtype)
    scale = 1.0 / math.sqrt(embed)
    for b in range(batch):
        for t in range(length):
            visible = t + 1 if causal else k.shape[1]
            scores = k[b, :visible] @ q[b, t] * scale
            weights = np.exp(scores - scores.max())
            out[b, t] = (weights / weights.sum()) @ v[b, :visible]
    return out
    # END SOLUTION


# ----------------------------------------------------------------------------- compositions
# The library's fused kernels, written as chains of Tensor ops: what fusing is measured against.

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_CUBIC = 0.044715


def gelu_unfused(x: Tensor) -> Tensor:
    """tt-nn's ``gelu(x, approximate="tanh")`` as eight Tensor ops (eight nodes, eight temporaries).

    y = x (1 + tanh u) / 2, u = sqrt(2/pi) (x + 0.044715 x^3).
    """
    u = (x + x * x * x * _CUBIC) * _SQRT_2_OVER_PI
    return x * 0.5 * (u.tanh() + 1.0)


def layer_norm_unfused(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """tt-attention's ``layer_norm`` over the last axis, composed of mean, sub, mul, sqrt, div."""
    centered = x - x.mean(axis=-1, keepdims=True)
    variance = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / (variance + eps).sqrt() * weight + bias


def softmax_cross_entropy_unfused(logits: Tensor, targets: np.ndarray) -> Tensor:
    """tt-nn's ``cross_entropy`` (mean over rows) as max, sub, exp, sum, log, one-hot mul, mean."""
    shifted = logits - Tensor(logits.data.max(axis=1, keepdims=True))
    log_probs = shifted - shifted.exp().sum(axis=1, keepdims=True).log()
    onehot = np.eye(logits.shape[1], dtype=logits.dtype)[targets]
    return -(log_probs * Tensor(onehot)).sum(axis=1).mean()


def attention_unfused(q: Tensor, k: Tensor, v: Tensor, causal: bool = True) -> Tensor:
    """tt-attention's ``scaled_dot_product_attention`` as matmul, scale, mask, softmax, matmul."""
    scores = q @ k.transpose(-1, -2) * (1.0 / math.sqrt(q.shape[-1]))
    if causal:
        blocked = ~np.tri(q.shape[-2], k.shape[-2], dtype=bool)
        scores = scores + Tensor(np.where(blocked, -np.inf, 0.0).astype(scores.dtype))
    return scores.softmax(dim=-1) @ v


# ----------------------------------------------------------------------------- convolution

POOL_WINDOW = ((0, 0), (0, 1), (1, 0), (1, 1))
"""(row, column) of the four pixels of a 2x2 pooling window, in scan order."""

IMAGES_PER_CHUNK = 4
"""Images whose columns, conv outputs and gradients are worked on together (they stay in cache)."""


@dataclass(frozen=True)
class FlatGrid:
    """Where a stride-1 convolution reads and writes, with each padded image flattened.

    The padded image (H_pad rows of W_pad pixels, plus one spare row of zeros)
    is stored as one row of ``size`` numbers. Output pixel (y, x) is computed
    on the padded-width grid at position p = y * W_pad + x, and kernel offset
    (i, j) reads the input at p + i * W_pad + j. So the pixels one offset reads
    for *every* output position form one contiguous slice,
    ``flat[..., offset : offset + length]``: im2col becomes kh * kw plain
    copies and col2im kh * kw plain adds. The price: the grid's columns
    x >= W_out are garbage (computed, then ignored), W_pad / W_out extra work.
    """

    padding: tuple          # ((top, bottom), (left, right))
    in_hw: tuple            # (H, W)
    padded_hw: tuple        # (H_pad, W_pad)
    out_hw: tuple           # (H_out, W_out) of the convolution
    pooled_hw: tuple        # (H_out // 2, W_out // 2)
    offsets: tuple          # i * W_pad + j for every kernel offset (i, j), in scan order

    @classmethod
    def of(cls, x_shape, weight_shape, padding) -> FlatGrid:
        """The grid of x (N, C, H, W) and weight (C_out, C, kh, kw), a 2x2 pool next."""
        (top, bottom), (left, right) = padding
        kh, kw = weight_shape[2:]
        hp, wp = x_shape[2] + top + bottom, x_shape[3] + left + right
        ho, wo = hp - kh + 1, wp - kw + 1
        if ho < 2 or wo < 2:
            raise ValueError(f"conv_relu_maxpool2d: the {ho}x{wo} convolution output is too "
                             f"small for a 2x2 pooling window (input {tuple(x_shape)}, "
                             f"kernel {kh}x{kw}, padding {padding})")
        offsets = tuple(i * wp + j for i in range(kh) for j in range(kw))
        return cls(padding, tuple(x_shape[2:]), (hp, wp), (ho, wo), (ho // 2, wo // 2), offsets)

    @property
    def length(self) -> int:
        """Positions of one image's output grid: H_out * W_pad."""
        return self.out_hw[0] * self.padded_hw[1]

    @property
    def size(self) -> int:
        """Numbers in one flattened padded image channel (with the spare row)."""
        return (self.padded_hw[0] + 1) * self.padded_hw[1]

    def flatten(self, x: np.ndarray) -> np.ndarray:
        """x (N, C, H, W) zero-padded and flattened: (N, C, size)."""
        (top, _), (left, _) = self.padding
        (h, w), (hp, wp) = self.in_hw, self.padded_hw
        padded = np.zeros((*x.shape[:2], hp + 1, wp), dtype=x.dtype)
        padded[:, :, top:top + h, left:left + w] = x
        return padded.reshape(*x.shape[:2], self.size)

    def unflatten(self, flat: np.ndarray) -> np.ndarray:
        """The inverse of ``flatten``: the unpadded (N, C, H, W) interior, as a new array."""
        (top, _), (left, _) = self.padding
        (h, w), (hp, wp) = self.in_hw, self.padded_hw
        image = flat.reshape(*flat.shape[:2], hp + 1, wp)
        return np.ascontiguousarray(image[:, :, top:top + h, left:left + w])

    def window_views(self, grid: np.ndarray) -> list[np.ndarray]:
        """The four pixels of every 2x2 pooling window: views of grid (..., H_out, W_pad)."""
        hq, wq = self.pooled_hw
        return [grid[..., dy:2 * hq:2, dx:2 * wq:2] for dy, dx in POOL_WINDOW]


def gather_columns(flat: np.ndarray, grid: FlatGrid, images: slice, columns: np.ndarray) -> None:
    """im2col of some images on the flat grid, written into ``columns`` (C, kh*kw, N, length).

    ``columns[c, k, n, p] = flat[n, c, offsets[k] + p]`` for the images in ``images``.
    """
    # BEGIN SOLUTION
    for k, offset in enumerate(grid.offsets):
        block = flat[images, :, offset:offset + grid.length]            # (n, C, length)
        columns[:, k, images] = block.transpose(1, 0, 2)
    # END SOLUTION


def scatter_columns(grad_columns: np.ndarray, grid: FlatGrid, grad_flat: np.ndarray) -> None:
    """col2im on the flat grid: add each column entry back to the input pixel it was read from.

    ``grad_columns`` is (C, kh*kw, n, length), ``grad_flat`` (n, C, size).
    """
    # BEGIN SOLUTION
    for k, offset in enumerate(grid.offsets):
        target = grad_flat[:, :, offset:offset + grid.length]
        np.add(target, grad_columns[:, k].transpose(1, 0, 2), out=target)
    # END SOLUTION


def pool_relu_forward(conv: np.ndarray, bias, grid: FlatGrid, out: np.ndarray,
                      masks: np.ndarray) -> None:
    """relu(maxpool(conv) + bias) into ``out`` (C_out, n, H_out/2, W_out/2), and the masks.

    ``conv`` is the chunk's output grid (C_out, n, H_out, W_pad) without bias.
    Pooling and relu commute, and a per-channel bias moves every value of a
    window alike, so both apply to the pooled (4x smaller) array.
    ``masks[q]`` (float, shape of ``out``) is 1 where pixel q of the window is
    its *first* maximum in scan order and the output is positive: the only
    pixels a gradient reaches (as in ``max_pool2d`` after ``relu``).
    """
    # BEGIN SOLUTION
    views = grid.window_views(conv)
    best = np.maximum(views[0], views[1])
    np.maximum(best, views[2], out=best)
    np.maximum(best, views[3], out=best)
    shift = 0.0 if bias is None else bias.reshape(-1, 1, 1, 1)
    unclaimed = best > -shift                        # relu(best + bias) > 0: the window is alive
    for mask, view in zip(masks[:3], views[:3], strict=True):
        first = view == best
        first &= unclaimed
        unclaimed ^= first
        mask[...] = first
    masks[3][...] = unclaimed                        # the windows whose maximum is the last pixel
    np.add(best, shift, out=best)
    np.maximum(best, 0, out=out)
    # END SOLUTION


def pool_relu_backward(grad_out: np.ndarray, masks: np.ndarray, grid: FlatGrid,
                       grad_conv: np.ndarray) -> None:
    """Route each pooled gradient (C_out, n, H_out/2, W_out/2) to its window's mask pixel.

    ``grad_conv`` (C_out, n, H_out, W_pad) must hold zeros outside the windows.
    """
    # BEGIN SOLUTION
    for mask, view in zip(masks, grid.window_views(grad_conv), strict=True):
        np.multiply(grad_out, mask, out=view)
    # END SOLUTION


def flat_conv_gradients(grad_conv: np.ndarray, columns: np.ndarray, weight: np.ndarray,
                        grid: FlatGrid, needs: Sequence[bool]) -> tuple:
    """(dL/dx, dL/dW, dL/db) of a flat-grid convolution, each None unless ``needs`` it.

    ``grad_conv`` (C_out, N * length) is dL/dz on the grid, zero at its garbage
    columns; ``columns`` are the forward's (C, kh*kw, N, length).
    dL/dW = dz X^T (one matrix product over the whole batch),
    dL/db = the sum of dz, dL/dx = col2im(W^T dz) (``IMAGES_PER_CHUNK`` images at a time).
    """
    # BEGIN SOLUTION
    c_out, c_in = weight.shape[:2]
    w = weight.reshape(c_out, -1)
    grad_x = grad_weight = grad_bias = None
    if needs[1]:
        grad_weight = (columns.reshape(w.shape[1], -1) @ grad_conv.T).T
        grad_weight = np.ascontiguousarray(grad_weight).reshape(weight.shape)
    if needs[2]:
        grad_bias = grad_conv.sum(axis=1)
    if needs[0]:
        n = grad_conv.shape[1] // grid.length
        grad_flat = np.zeros((n, c_in, grid.size), dtype=grad_conv.dtype)
        for start in range(0, n, IMAGES_PER_CHUNK):
            stop = min(start + IMAGES_PER_CHUNK, n)
            chunk = grad_conv[:, start * grid.length:stop * grid.length]
            grad_columns = (w.T @ chunk).reshape(c_in, -1, stop - start, grid.length)
            scatter_columns(grad_columns, grid, grad_flat[start:stop])
        grad_x = grid.unflatten(grad_flat)
    return grad_x, grad_weight, grad_bias
    # END SOLUTION


class ConvReLUMaxPool2dFunction(Function):
    """y = maxpool2x2(relu(conv2d(x, w, b))): stride-1 convolution, ReLU and 2x2 max pooling fused.

    The same values and gradients as ``max_pool2d(relu(conv2d(x, w, b, padding=p)), 2)``
    (ties go to the first maximum), in one kernel that works on
    ``IMAGES_PER_CHUNK`` images at a time so that their columns, convolution
    outputs and gradients stay in the cache; the unfused path writes each of
    them for the whole batch to memory and reads it back (bias, relu, pooling,
    and their backwards are six passes over the largest activation). With the
    columns X (``FlatGrid``), z = W X on the flat grid, and for the gradient
    dz of z (routed back through the pooling masks):

        dL/dW = sum dz X^T        dL/dX = col2im(W^T dz)        dL/db = sum dz

    Inputs are NumPy arrays: x (N, C_in, H, W), weight (C_out, C_in, kh, kw),
    bias (C_out,) or None; ``padding`` is ((top, bottom), (left, right)).
    """

    @staticmethod
    def flops(inputs, params, outputs):
        """As tt-spatial's Conv2dFunction: 2 (C_in kh kw) per convolution output pixel (the
        garbage columns not counted), one such product backward per input needing a gradient,
        plus one add per pooled output for the bias."""
        x, weight, bias = inputs
        (top, bottom), (left, right) = params["padding"]
        out_h = x.shape[2] + top + bottom - weight.shape[2] + 1
        out_w = x.shape[3] + left + right - weight.shape[3] + 1
        product = 2 * x.shape[0] * weight.shape[0] * out_h * out_w * math.prod(weight.shape[1:])
        bias_flops = math.prod(outputs[0].shape) if bias is not None else 0
        grads = sum(requires_grad(t) for t in (x, weight))
        bias_grad = requires_grad(bias)
        return product + bias_flops, product * grads + bias_flops * bias_grad

    @staticmethod
    def forward(ctx, x, weight, bias, *, padding):
        # BEGIN SOLUTION
        grid = FlatGrid.of(x.shape, weight.shape, padding)
        n, c_in = x.shape[:2]
        c_out, (hq, wq) = weight.shape[0], grid.pooled_hw
        ho, wp = grid.out_hw[0], grid.padded_hw[1]
        flat = grid.flatten(x)
        w = weight.reshape(c_out, -1)
        columns = np.empty((c_in, len(grid.offsets), n, grid.length), dtype=x.dtype)
        conv = np.empty((c_out, IMAGES_PER_CHUNK * grid.length), dtype=x.dtype)
        out = np.empty((c_out, n, hq, wq), dtype=x.dtype)
        masks = np.empty((4, c_out, n, hq, wq), dtype=x.dtype)
        for start in range(0, n, IMAGES_PER_CHUNK):
            images = slice(start, min(start + IMAGES_PER_CHUNK, n))
            count = images.stop - start
            gather_columns(flat, grid, images, columns)
            chunk = conv[:, :count * grid.length]
            np.matmul(w, columns[:, :, images].reshape(w.shape[1], -1), out=chunk)
            pool_relu_forward(chunk.reshape(c_out, count, ho, wp), bias, grid, out[:, images],
                              masks[:, :, images])
        ctx.save_for_backward(columns, weight, masks)
        ctx.grid = grid
        return out.transpose(1, 0, 2, 3).copy()
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_out):
        # BEGIN SOLUTION
        columns, weight, masks = ctx.saved_tensors
        grid = ctx.grid
        n, c_out = grad_out.shape[:2]
        ho, wp = grid.out_hw[0], grid.padded_hw[1]
        grad_pooled = grad_out.transpose(1, 0, 2, 3).copy()             # (C_out, N, hq, wq)
        grad_conv = np.zeros((c_out, n * grid.length), dtype=grad_out.dtype)
        pool_relu_backward(grad_pooled, masks, grid, grad_conv.reshape(c_out, n, ho, wp))
        return flat_conv_gradients(grad_conv, columns, weight, grid, ctx.needs_input_grad)
        # END SOLUTION


def _padding_pairs(padding) -> tuple:
    """((top, bottom), (left, right)) from an int, a pair (rows, columns) or the pairs."""
    if isinstance(padding, int):
        padding = (padding, padding)
    if isinstance(padding[0], int):
        padding = ((padding[0], padding[0]), (padding[1], padding[1]))
    return tuple(map(tuple, padding))


def _check_conv_inputs(x: Tensor, weight: Tensor, bias: Tensor | None) -> None:
    if len(weight.shape) != 4 or len(x.shape) != 4 or x.shape[1] != weight.shape[1]:
        raise ValueError("conv_relu_maxpool2d: expected x (N, C, H, W) and weight "
                         f"(C_out, C, kh, kw) with the same C, got {tuple(x.shape)} and "
                         f"{tuple(weight.shape)}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(f"conv_relu_maxpool2d: expected bias (C_out,) = ({weight.shape[0]},) "
                         f"for weight {tuple(weight.shape)}, got {tuple(bias.shape)}")


def conv_relu_maxpool2d(x: Tensor, weight: Tensor, bias: Tensor | None = None,
                        padding=((0, 0), (0, 0))) -> Tensor:
    """``max_pool2d(relu(conv2d(x, weight, bias, padding=padding)), 2)`` as one fused kernel.

    The convolution has stride 1, dilation 1 and one group; ``padding`` is an
    int, a pair (rows, columns) or ((top, bottom), (left, right)). Shape:
    (N, C_in, H, W) -> (N, C_out, (H + pads - kh + 1) // 2, (W + pads - kw + 1) // 2).
    """
    _check_conv_inputs(x, weight, bias)
    return ConvReLUMaxPool2dFunction.apply(x, weight, bias, padding=_padding_pairs(padding))


class ConvReLUMaxPool2d(Module):
    """A Conv2d, a ReLU and a MaxPool2d(2) run as ``conv_relu_maxpool2d``; it shares the conv's
    parameters (training one trains the other)."""

    def __init__(self, conv) -> None:
        super().__init__()
        self.conv = conv

    def forward(self, x: Tensor) -> Tensor:
        return conv_relu_maxpool2d(x, self.conv.weight, self.conv.bias, self.conv.padding)


def flat_grid_conv(conv) -> bool:
    """Whether ``conv`` is a Conv2d the flat-grid kernels compute exactly: stride 1,
    dilation 1, one group, zero padding given as numbers."""
    from tinytorch.spatial import Conv2d

    return (type(conv) is Conv2d and conv.stride == (1, 1) and conv.dilation == (1, 1)
            and conv.groups == 1 and conv.padding_mode == "zeros"
            and not isinstance(conv.padding, str))


def fusable(conv, relu, pool) -> bool:
    """Whether (conv, relu, pool) is a ``flat_grid_conv`` Conv2d, a ReLU and a MaxPool2d(2)
    that ``ConvReLUMaxPool2d`` computes exactly."""
    from tinytorch.nn import ReLU
    from tinytorch.spatial import MaxPool2d

    return (flat_grid_conv(conv) and type(relu) is ReLU and type(pool) is MaxPool2d
            and pool.kernel_size == (2, 2) and pool.stride == (2, 2)
            and pool.padding == (0, 0) and pool.dilation == (1, 1))


def fuse_conv_relu_maxpool(model: Sequential) -> Sequential:
    """A Sequential computing the same function, each fusable Conv2d-ReLU-MaxPool2d(2) run replaced
    by a ``ConvReLUMaxPool2d`` sharing its parameters; other layers are kept as they are."""
    layers, fused, index = list(model), [], 0
    while index < len(layers):
        run = layers[index:index + 3]
        if len(run) == 3 and fusable(*run):
            fused.append(ConvReLUMaxPool2d(run[0]))
            index += 3
        else:
            fused.append(layers[index])
            index += 1
    return Sequential(*fused)


# ----------------------------------------------------------------------------- measurement


def median_seconds(fn, repeats: int = 7, warmup: int = 1) -> float:
    """The median time of ``fn()`` over ``repeats`` calls after ``warmup`` calls.

    The profiler's ``measure_latency`` in seconds.
    """
    median_ms, _, _ = measure_latency(fn, repeats, warmup)
    return median_ms / 1e3


def _comparison(name: str, slow_name: str, slow, fast_name: str, fast, repeats: int) -> dict:
    slow_s = median_seconds(slow, max(3, repeats // 3))
    fast_s = median_seconds(fast, repeats)
    return {
        "name": name,
        "slow": slow_name,
        "fast": fast_name,
        "slow_ms": slow_s * 1e3,
        "fast_ms": fast_s * 1e3,
        "speedup": slow_s / fast_s,
    }


def _train_step(fn, *tensors):
    def step():
        for t in tensors:
            t.grad = None
        fn().sum().backward()

    return step


def fused_kernel_comparisons(seed: int = 0) -> list[tuple[str, object, object]]:
    """(name, composed step, fused step) for each library kernel: forward and backward once.

    GELU (tanh) and LayerNorm on 64 x 256, softmax-cross-entropy on 256 x 10,
    causal attention on 4 x 64 x 32; the composed step is the chain of Tensor
    ops above, the fused one the library's single ``Function``.
    """
    from tinytorch.attention.functional import layer_norm, scaled_dot_product_attention
    from tinytorch.nn.functional import cross_entropy, gelu

    rng = np.random.default_rng(seed)

    def leaf(*shape, fill=None):
        data = rng.standard_normal(shape) if fill is None else np.full(shape, fill)
        return Tensor(data.astype(np.float32), requires_grad=True)

    h, gamma, beta = leaf(64, 256), leaf(256, fill=1.0), leaf(256, fill=0.0)
    logits, labels = leaf(256, 10), rng.integers(0, 10, 256)
    q, k, v = leaf(4, 64, 32), leaf(4, 64, 32), leaf(4, 64, 32)
    return [
        ("GELU fwd+bwd 64x256",
         _train_step(lambda: gelu_unfused(h), h),
         _train_step(lambda: gelu(h, approximate="tanh"), h)),
        ("LayerNorm fwd+bwd 64x256",
         _train_step(lambda: layer_norm_unfused(h, gamma, beta), h, gamma, beta),
         _train_step(lambda: layer_norm(h, (256,), gamma, beta), h, gamma, beta)),
        ("softmax-CE fwd+bwd 256x10",
         _train_step(lambda: softmax_cross_entropy_unfused(logits, labels), logits),
         _train_step(lambda: cross_entropy(logits, labels), logits)),
        ("attention fwd+bwd 4x64x32",
         _train_step(lambda: attention_unfused(q, k, v), q, k, v),
         _train_step(lambda: scaled_dot_product_attention(q, k, v, is_causal=True), q, k, v)),
    ]


def measure_accelerations(repeats: int = 9, seed: int = 0) -> list[dict]:
    """Naive versus vectorized (conv, attention), composed versus fused (GELU, LayerNorm, CE,
    attention).

    Returns one dict per comparison: the two implementations, their median
    milliseconds and the speedup, measured now on this machine.
    """
    from tinytorch.attention.functional import scaled_dot_product_attention
    from tinytorch.spatial.functional import conv2d, conv2d_naive

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 4, 16, 16)).astype(np.float32)
    w = rng.standard_normal((8, 4, 3, 3)).astype(np.float32)
    q, k, v = (rng.standard_normal((4, 64, 32)).astype(np.float32) for _ in range(3))
    rows = [
        _comparison(
            "conv2d 8x4x16x16, 8 filters 3x3",
            "loops (conv2d_naive)",
            lambda: conv2d_naive(x, w, padding=1),
            "im2col",
            lambda: conv2d(Tensor(x), Tensor(w), padding=1),
            repeats,
        ),
        _comparison(
            "causal attention 4x64x32",
            "loop over positions",
            lambda: attention_loop(q, k, v),
            "batched",
            lambda: scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), is_causal=True),
            repeats,
        ),
    ]
    for name, composed, fused in fused_kernel_comparisons(seed):
        rows.append(_comparison(name, "composed", composed, "fused", fused, repeats))
    return rows


def format_accelerations(rows: list[dict]) -> str:
    header = f"{'kernel':<34} {'slow':<22} {'ms':>9} {'fast':<8} {'ms':>8} {'speedup':>8}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['name'][:34]:<34} {r['slow'][:22]:<22} {r['slow_ms']:>9.3f} "
            f"{r['fast'][:8]:<8} {r['fast_ms']:>8.3f} {r['speedup']:>7.1f}x"
        )
    return "\n".join(lines)
