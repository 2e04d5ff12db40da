"""Acceleration: how far apart naive and vectorized kernels are, and what fusing buys.

Three lessons, each measured on the machine at hand (``measure_accelerations``):

1. *Loops versus vectorized kernels.* ``conv2d_naive`` (tt-spatial) loops
   over images, filters and pixels; the im2col ``conv2d`` does one batched
   matrix multiply. ``attention_loop`` computes attention one query position at
   a time; ``attention_batched`` does every position (and head) in two batched
   matmuls. Same numbers, very different speed: the loops pay Python's
   per-iteration cost and hand BLAS tiny pieces of work.
2. *Fused kernels.* A composition of Tensor ops (``gelu_unfused``,
   ``layer_norm_unfused``, ``softmax_cross_entropy_unfused``) creates one
   temporary array and one graph node per step and reads memory again at each
   step; a fused ``Function`` (``FusedGELU``, ``FusedLayerNorm``,
   ``FusedSoftmaxCrossEntropy``) does the forward in one go and applies the
   closed-form derivative in one backward. Each fused kernel is gradchecked and
   compared with its unfused composition in the tests.
3. *BLAS threads and float32.* NumPy's matmul calls BLAS (OpenBLAS here),
   which starts one thread per core unless ``OPENBLAS_NUM_THREADS`` says
   otherwise; the variable is read once, when NumPy is first imported, so set
   it in the environment before Python starts. On a small machine shared with
   other work, several threads fight for the cores and can be many times
   slower than one: benchmarks pin one thread. Float32 halves memory traffic
   and doubles SIMD width compared with float64, so matmuls run about twice as
   fast; one float64 constant silently promotes a whole expression
   (``blas_note()`` reports the current settings).
"""

from __future__ import annotations

import math
import os

import numpy as np
from tinytorch.autograd import Function
from tinytorch.tensor import Tensor

from .benchmark import THREAD_VARIABLES
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


def attention_batched(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool = True
) -> np.ndarray:
    """softmax(Q K^T / sqrt(E) + M) V for every position at once: two batched matmuls."""
    # BEGIN SOLUTION
    scores = q @ k.swapaxes(-1, -2) * np.asarray(1.0 / math.sqrt(q.shape[-1]), q.dtype)
    if causal:
        scores = np.where(np.tri(q.shape[1], k.shape[1], dtype=bool), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (weights / weights.sum(axis=-1, keepdims=True)) @ v
    # END SOLUTION


# ----------------------------------------------------------------------------- GELU

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_CUBIC = 0.044715


class FusedGELU(Function):
    """GELU, tanh form: y = x (1 + tanh u) / 2, u = sqrt(2/pi) (x + 0.044715 x^3).

    dy/dx = (1 + tanh u) / 2 + x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2.
    """

    @staticmethod
    def forward(ctx, x):
        # BEGIN SOLUTION
        t = np.tanh(_SQRT_2_OVER_PI * (x + _CUBIC * x * x * x))
        ctx.save_for_backward(x, t)
        return 0.5 * x * (1 + t)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_y):
        # BEGIN SOLUTION
        x, t = ctx.saved_tensors
        du_dx = _SQRT_2_OVER_PI * (1 + 3 * _CUBIC * x * x)
        return grad_y * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du_dx)
        # END SOLUTION


def gelu_unfused(x: Tensor) -> Tensor:
    """The same GELU as eight Tensor ops (eight graph nodes, eight temporaries)."""
    u = (x + x * x * x * _CUBIC) * _SQRT_2_OVER_PI
    return x * 0.5 * (u.tanh() + 1.0)


# ----------------------------------------------------------------------------- LayerNorm


class FusedLayerNorm(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b over the last axis (biased variance).

    With x_hat the normalized input, r = 1 / sqrt(var + eps) and g = dL/dy * w:
    dL/dx = r (g - mean(g) - x_hat mean(g x_hat)),  dL/dw = sum(dL/dy x_hat),  dL/db = sum(dL/dy).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        # BEGIN SOLUTION
        centered = x - x.mean(axis=-1, keepdims=True)
        rstd = 1.0 / np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + eps)
        x_hat = centered * rstd
        ctx.save_for_backward(x_hat, rstd, weight)
        return x_hat * weight + bias
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_y):
        # BEGIN SOLUTION
        x_hat, rstd, weight = ctx.saved_tensors
        g = grad_y * weight
        grad_x = rstd * (
            g - g.mean(axis=-1, keepdims=True) - x_hat * (g * x_hat).mean(axis=-1, keepdims=True)
        )
        rows = tuple(range(grad_y.ndim - 1))
        return grad_x, (grad_y * x_hat).sum(axis=rows), grad_y.sum(axis=rows), None
        # END SOLUTION


def layer_norm_unfused(x: Tensor, weight: Tensor, bias: Tensor, eps: float = 1e-5) -> Tensor:
    """The same LayerNorm composed of mean, sub, mul, sqrt, div Tensor ops."""
    centered = x - x.mean(axis=-1, keepdims=True)
    variance = (centered * centered).mean(axis=-1, keepdims=True)
    return centered / (variance + eps).sqrt() * weight + bias


# ----------------------------------------------------------------------------- cross-entropy


class FusedSoftmaxCrossEntropy(Function):
    """L = mean_n(log sum_c e^{z_nc} - z_{n,y_n}), computed stably.

    dL/dz = (softmax(z) - onehot(y)) / N.
    """

    @staticmethod
    def forward(ctx, logits, targets):
        # BEGIN SOLUTION
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        sum_exp = exp.sum(axis=1, keepdims=True)
        rows = np.arange(logits.shape[0])
        ctx.save_for_backward(exp / sum_exp, targets)
        loss = (np.log(sum_exp[:, 0]) - shifted[rows, targets]).mean()
        return np.asarray(loss, dtype=logits.dtype)
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_loss):
        # BEGIN SOLUTION
        probs, targets = ctx.saved_tensors
        grad = probs.copy()
        grad[np.arange(len(targets)), targets] -= 1
        return grad * (grad_loss / len(targets)), None
        # END SOLUTION


def softmax_cross_entropy_unfused(logits: Tensor, targets: np.ndarray) -> Tensor:
    """The same loss as max, sub, exp, sum, log, one-hot mul and mean Tensor ops."""
    shifted = logits - Tensor(logits.data.max(axis=1, keepdims=True))
    log_probs = shifted - shifted.exp().sum(axis=1, keepdims=True).log()
    onehot = np.eye(logits.shape[1], dtype=logits.dtype)[targets]
    return -(log_probs * Tensor(onehot)).sum(axis=1).mean()


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


def measure_accelerations(repeats: int = 9, seed: int = 0) -> list[dict]:
    """Naive versus vectorized (conv, attention) and unfused versus fused (GELU, LayerNorm, CE).

    Returns one dict per comparison: the two implementations, their median
    milliseconds and the speedup, measured now on this machine.
    """
    # BEGIN SOLUTION
    from tinytorch.spatial.functional import conv2d, conv2d_naive

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 4, 16, 16)).astype(np.float32)
    w = rng.standard_normal((8, 4, 3, 3)).astype(np.float32)
    q, k, v = (rng.standard_normal((4, 64, 32)).astype(np.float32) for _ in range(3))
    h = Tensor(rng.standard_normal((64, 256)).astype(np.float32), requires_grad=True)
    gamma = Tensor(np.ones(256, np.float32), requires_grad=True)
    beta = Tensor(np.zeros(256, np.float32), requires_grad=True)
    logits = Tensor(rng.standard_normal((256, 10)).astype(np.float32), requires_grad=True)
    labels = rng.integers(0, 10, 256)
    return [
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
            lambda: attention_batched(q, k, v),
            repeats,
        ),
        _comparison(
            "GELU fwd+bwd 64x256",
            "unfused",
            _train_step(lambda: gelu_unfused(h), h),
            "fused",
            _train_step(lambda: FusedGELU.apply(h), h),
            repeats,
        ),
        _comparison(
            "LayerNorm fwd+bwd 64x256",
            "unfused",
            _train_step(lambda: layer_norm_unfused(h, gamma, beta), h, gamma, beta),
            "fused",
            _train_step(lambda: FusedLayerNorm.apply(h, gamma, beta, 1e-5), h, gamma, beta),
            repeats,
        ),
        _comparison(
            "softmax-CE fwd+bwd 256x10",
            "unfused",
            _train_step(lambda: softmax_cross_entropy_unfused(logits, labels), logits),
            "fused",
            _train_step(lambda: FusedSoftmaxCrossEntropy.apply(logits, labels), logits),
            repeats,
        ),
    ]
    # END SOLUTION


def format_accelerations(rows: list[dict]) -> str:
    header = f"{'kernel':<34} {'slow':<22} {'ms':>9} {'fast':<8} {'ms':>8} {'speedup':>8}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['name'][:34]:<34} {r['slow'][:22]:<22} {r['slow_ms']:>9.3f} "
            f"{r['fast'][:8]:<8} {r['fast_ms']:>8.3f} {r['speedup']:>7.1f}x"
        )
    return "\n".join(lines)
