"""Acceleration: the compositions equal the library's fused kernels; loops equal vectorized."""

from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys

import numpy as np
import pytest
from tinytorch.autograd import gradcheck
from tinytorch.systems import acceleration as A
from tinytorch.tensor import Tensor

RNG = np.random.default_rng(0)


def _t(shape, grad=True):
    return Tensor(RNG.normal(size=shape), dtype=np.float64, requires_grad=grad)


def _same_values_and_grads(fused, unfused, *inputs):
    out_fused = fused(*inputs)
    out_fused.sum().backward()
    grads_fused = [x.grad.data.copy() for x in inputs]
    for x in inputs:
        x.grad = None
    out_unfused = unfused(*inputs)
    out_unfused.sum().backward()
    np.testing.assert_allclose(out_fused.data, out_unfused.data, rtol=1e-10, atol=1e-12)
    for g_fused, x in zip(grads_fused, inputs, strict=True):
        np.testing.assert_allclose(g_fused, x.grad.data, rtol=1e-8, atol=1e-10)


def test_gelu_composition_equals_the_library_kernel():
    from tinytorch.nn.functional import gelu

    _same_values_and_grads(lambda x: gelu(x, approximate="tanh"), A.gelu_unfused, _t((4, 6)))


def test_layer_norm_composition_equals_the_library_kernel():
    from tinytorch.attention.functional import layer_norm

    x, w, b = _t((3, 8)), _t((8,)), _t((8,))
    _same_values_and_grads(
        lambda x, w, b: layer_norm(x, (8,), w, b), A.layer_norm_unfused, x, w, b
    )


def test_cross_entropy_composition_equals_the_library_kernel():
    from tinytorch.nn.functional import cross_entropy

    targets = np.array([0, 3, 1, 1, 2])
    _same_values_and_grads(
        lambda z: cross_entropy(z, targets),
        lambda z: A.softmax_cross_entropy_unfused(z, targets),
        _t((5, 4)),
    )


@pytest.mark.parametrize("causal", [True, False])
def test_attention_composition_equals_the_library_kernel(causal):
    from tinytorch.attention.functional import scaled_dot_product_attention

    q, k, v = _t((2, 5, 3)), _t((2, 5, 3)), _t((2, 5, 4))
    _same_values_and_grads(
        lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=causal),
        lambda q, k, v: A.attention_unfused(q, k, v, causal),
        q, k, v,
    )


@pytest.mark.parametrize("causal", [True, False])
def test_attention_loop_equals_the_batched_library_kernel(causal):
    from tinytorch.attention.functional import scaled_dot_product_attention

    q, k, v = (RNG.normal(size=(3, 7, 5)).astype(np.float32) for _ in range(3))
    batched = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), is_causal=causal)
    np.testing.assert_allclose(A.attention_loop(q, k, v, causal), batched.data,
                               rtol=1e-5, atol=1e-6)


def test_measure_accelerations_reports_every_comparison():
    pytest.importorskip("tinytorch.spatial")
    rows = A.measure_accelerations(repeats=3)
    assert {r["name"].split()[0] for r in rows} == {
        "conv2d",
        "causal",
        "GELU",
        "LayerNorm",
        "softmax-CE",
        "attention",
    }
    assert all(r["slow_ms"] > 0 and r["fast_ms"] > 0 and r["speedup"] > 0 for r in rows)
    assert "speedup" in A.format_accelerations(rows)


# In a child process (the allocator setting is process-wide): how much a freed 64 MiB array
# leaves mapped and free in malloc's heap, before and after keep_freed_memory.
_FREED_PROBE = """
import ctypes, sys
import numpy as np
from tinytorch.systems.acceleration import keep_freed_memory

class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena ordblks smblks hblks hblkhd usmblks "
                                                 "fsmblks uordblks fordblks keepcost").split()]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = Info
def heap_free_after_a_freed_array():
    a = np.ones(16 << 20, np.float32)
    del a
    return libc.mallinfo2().fordblks >> 20
before = heap_free_after_a_freed_array()
print(keep_freed_memory())
print(before, heap_free_after_a_freed_array())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or not ctypes.util.find_library("c"),
                    reason="keep_freed_memory acts on glibc's malloc")
def test_keep_freed_memory_keeps_a_freed_large_array_in_the_heap():
    try:
        ctypes.CDLL(None).mallinfo2  # noqa: B018 - glibc 2.33 or later
    except AttributeError:
        pytest.skip("mallinfo2 needs glibc 2.33 or later")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}  # nox's unset
    done = subprocess.run([sys.executable, "-c", _FREED_PROBE], capture_output=True, text=True,
                          check=True, timeout=60, env=env)
    message, numbers = done.stdout.strip().splitlines()
    before, after = map(int, numbers.split())
    assert "MALLOC_MMAP_THRESHOLD=268435456" in message, message
    assert before < 64 <= after  # unmapped at once by default, kept for reuse afterwards


def test_blas_note_names_the_thread_variables():
    note = A.blas_note()
    assert "OPENBLAS_NUM_THREADS" in note["threads"] and note["float"] == "float32"


# ----------------------------------------------------------------------------- fused conv


def _readable_conv_relu_pool(x, w, b, padding):
    """tt-spatial's im2col conv2d, relu and max_pool2d: the path the fused kernel must equal."""
    from tinytorch.spatial import functional as F

    return F.max_pool2d(F.conv2d(x, w, b, padding=padding).relu(), 2)


GEOMETRIES = [  # (input shape, weight shape, padding): odd sizes, uneven pads, 1x1 and 3x2 kernels
    ((3, 2, 7, 6), (4, 2, 3, 3), 1),
    ((2, 3, 9, 8), (5, 3, 3, 2), ((0, 1), (2, 0))),
    ((5, 1, 6, 6), (2, 1, 1, 1), 0),
    ((6, 2, 5, 5), (3, 2, 3, 3), (1, 0)),   # 6 images: a chunk of 4 and a short one
]


@pytest.mark.parametrize(("x_shape", "w_shape", "padding"), GEOMETRIES)
def test_conv_relu_maxpool_gradcheck(x_shape, w_shape, padding):
    x, w, b = _t(x_shape), _t(w_shape), _t(w_shape[:1])
    assert gradcheck(lambda x, w, b: A.conv_relu_maxpool2d(x, w, b, padding), x, w, b)


@pytest.mark.parametrize(("x_shape", "w_shape", "padding"), GEOMETRIES)
def test_conv_relu_maxpool_equals_the_readable_path(x_shape, w_shape, padding):
    pads = padding if not isinstance(padding, tuple) or isinstance(padding[0], int) else None
    if pads is None:  # tt-spatial's conv2d takes symmetric padding: pad first, as F.pad would
        (top, bottom), (left, right) = padding
        raw = RNG.normal(size=x_shape)
        x_np = np.pad(raw, ((0, 0), (0, 0), (top, bottom), (left, right)))
        x_fused = Tensor(raw, dtype=np.float64, requires_grad=True)
        x_read = Tensor(x_np, dtype=np.float64, requires_grad=True)
    else:
        x_fused = _t(x_shape)
        x_read = Tensor(x_fused.data.copy(), dtype=np.float64, requires_grad=True)
    w, b = _t(w_shape), _t(w_shape[:1])
    fused = A.conv_relu_maxpool2d(x_fused, w, b, padding)
    fused.sum().backward()
    grads = (w.grad.data.copy(), b.grad.data.copy())
    w.grad = b.grad = None
    readable = _readable_conv_relu_pool(x_read, w, b, pads if pads is not None else 0)
    readable.sum().backward()
    np.testing.assert_allclose(fused.data, readable.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grads[0], w.grad.data, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads[1], b.grad.data, rtol=1e-10, atol=1e-12)
    grad_read = x_read.grad.data
    if pads is None:
        (top, bottom), (left, right) = padding
        height, width = grad_read.shape[2:]
        grad_read = grad_read[:, :, top:height - bottom, left:width - right]
    np.testing.assert_allclose(x_fused.grad.data, grad_read, rtol=1e-10, atol=1e-12)


def test_conv_relu_maxpool_ties_go_to_the_first_maximum_and_dead_windows_get_nothing():
    # constant images: every window ties; a positive bias keeps channel 0 alive, channel 1 dies
    x = Tensor(np.ones((2, 1, 4, 4)), dtype=np.float64, requires_grad=True)
    w = Tensor(np.ones((2, 1, 1, 1)), dtype=np.float64, requires_grad=True)
    b = Tensor(np.array([0.5, -3.0]), dtype=np.float64, requires_grad=True)
    out = A.conv_relu_maxpool2d(x, w, b)
    np.testing.assert_array_equal(out.data[:, 0], 1.5)
    np.testing.assert_array_equal(out.data[:, 1], 0.0)
    out.sum().backward()
    first = np.zeros((4, 4))
    first[::2, ::2] = 1.0                          # the top-left pixel of each 2x2 window
    np.testing.assert_array_equal(x.grad.data[:, 0], np.broadcast_to(first, (2, 4, 4)))
    np.testing.assert_array_equal(w.grad.data.ravel(), [8.0, 0.0])
    np.testing.assert_array_equal(b.grad.data, [8.0, 0.0])


def test_conv_relu_maxpool_without_bias_and_float32():
    x = Tensor(RNG.normal(size=(3, 2, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(RNG.normal(size=(4, 2, 3, 3)).astype(np.float32), requires_grad=True)
    out = A.conv_relu_maxpool2d(x, w, None, 1)
    assert out.dtype == np.float32 and out.shape == (3, 4, 3, 3)
    expected = _readable_conv_relu_pool(Tensor(x.data), Tensor(w.data), None, 1)
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-5, atol=1e-5)
    out.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_conv_relu_maxpool_refuses_outputs_too_small_to_pool_and_mismatched_channels():
    with pytest.raises(ValueError, match="too small"):
        A.conv_relu_maxpool2d(_t((1, 1, 2, 2)), _t((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="same C"):
        A.conv_relu_maxpool2d(_t((1, 2, 6, 6)), _t((1, 3, 3, 3)))


def test_fuse_conv_relu_maxpool_replaces_only_exact_runs_and_shares_parameters():
    from tinytorch import nn
    from tinytorch.spatial import Conv2d, MaxPool2d

    model = nn.Sequential(Conv2d(2, 4, 3, padding=1), nn.ReLU(), MaxPool2d(2),
                          Conv2d(4, 4, 3, stride=2), nn.ReLU(), MaxPool2d(2),   # stride 2: kept
                          Conv2d(4, 4, 1), nn.ReLU(), MaxPool2d(3),             # 3x3 pool: kept
                          nn.Flatten())
    fused = A.fuse_conv_relu_maxpool(model)
    kinds = [type(m).__name__ for m in fused]
    assert kinds == ["ConvReLUMaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU",
                     "MaxPool2d", "Flatten"]
    assert fused[0].conv is model[0]
    assert {id(p) for p in fused.parameters()} == {id(p) for p in model.parameters()}
    x = Tensor(RNG.normal(size=(2, 2, 40, 40)).astype(np.float32))
    np.testing.assert_allclose(fused(x).data, model(x).data, rtol=1e-5, atol=1e-6)


def test_conv_relu_maxpool_declares_the_convolutions_flops():
    from tinytorch.spatial.functional.conv import Conv2dFunction

    x, w, b = _t((2, 3, 8, 7)), _t((4, 3, 3, 3)), _t((4,))
    out = A.conv_relu_maxpool2d(x, w, b, 1)                        # conv 8x7, pooled 4x3
    params = {"padding": ((1, 1), (1, 1))}
    forward, backward = A.ConvReLUMaxPool2dFunction.flops((x, w, b), params, (out,))
    conv_out = np.empty((2, 4, 8, 7))
    conv_params = {**params, "stride": (1, 1), "dilation": (1, 1), "groups": 1}
    conv_forward, conv_backward = Conv2dFunction.flops((x, w, None), conv_params, (conv_out,))
    assert forward == conv_forward + out.data.size
    assert backward == conv_backward + out.data.size
    x.requires_grad = False
    assert A.ConvReLUMaxPool2dFunction.flops((x, w, b), params, (out,))[1] == \
        conv_backward // 2 + out.data.size
