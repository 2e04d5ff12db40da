"""Acceleration: fused kernels gradchecked and equal to unfused ones; loops equal vectorized."""

from __future__ import annotations

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


def test_fused_gelu_gradcheck_and_matches_unfused():
    x = _t((4, 6))
    assert gradcheck(A.FusedGELU.apply, x)
    _same_values_and_grads(A.FusedGELU.apply, A.gelu_unfused, x)


def test_fused_layer_norm_gradcheck_and_matches_unfused():
    x, w, b = _t((3, 8)), _t((8,)), _t((8,))
    assert gradcheck(lambda x, w, b: A.FusedLayerNorm.apply(x, w, b, 1e-5), x, w, b)
    _same_values_and_grads(
        lambda x, w, b: A.FusedLayerNorm.apply(x, w, b, 1e-5), A.layer_norm_unfused, x, w, b
    )


def test_fused_cross_entropy_gradcheck_and_matches_unfused():
    logits = _t((5, 4))
    targets = np.array([0, 3, 1, 1, 2])
    assert gradcheck(lambda z: A.FusedSoftmaxCrossEntropy.apply(z, targets), logits)
    _same_values_and_grads(
        lambda z: A.FusedSoftmaxCrossEntropy.apply(z, targets),
        lambda z: A.softmax_cross_entropy_unfused(z, targets),
        logits,
    )


def test_fused_cross_entropy_is_stable_for_huge_logits():
    logits = Tensor(np.array([[1000.0, 0.0], [0.0, -1000.0]], np.float32))
    assert np.isfinite(A.FusedSoftmaxCrossEntropy.apply(logits, np.array([0, 0])).item())


@pytest.mark.parametrize("causal", [True, False])
def test_attention_loop_equals_batched(causal):
    q, k, v = (RNG.normal(size=(3, 7, 5)).astype(np.float32) for _ in range(3))
    np.testing.assert_allclose(
        A.attention_loop(q, k, v, causal),
        A.attention_batched(q, k, v, causal),
        rtol=1e-5,
        atol=1e-6,
    )


def test_measure_accelerations_reports_every_comparison():
    pytest.importorskip("tinytorch.spatial")
    rows = A.measure_accelerations(repeats=3)
    assert {r["name"].split()[0] for r in rows} == {
        "conv2d",
        "causal",
        "GELU",
        "LayerNorm",
        "softmax-CE",
    }
    assert all(r["slow_ms"] > 0 and r["fast_ms"] > 0 and r["speedup"] > 0 for r in rows)
    assert "speedup" in A.format_accelerations(rows)


def test_blas_note_names_the_thread_variables():
    note = A.blas_note()
    assert "OPENBLAS_NUM_THREADS" in note["threads"] and note["float"] == "float32"
