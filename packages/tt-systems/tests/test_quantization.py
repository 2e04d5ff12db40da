"""Quantization: error bounds, int8 storage, integer kernels against dequantized float."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.systems import quantization as Q
from tinytorch.systems.profiler import parameter_bytes
from tinytorch.tensor import Tensor

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("per_channel", [True, False])
def test_round_trip_error_is_at_most_half_a_step(symmetric, per_channel):
    x = RNG.normal(size=(16, 32)).astype(np.float32) * np.linspace(0.1, 3, 16)[:, None]
    qp = Q.calculate_qparams(x, symmetric=symmetric, per_channel=per_channel)
    q = Q.quantize(x, qp)
    assert q.dtype == np.int8
    error = np.abs(Q.dequantize(q, qp) - x)
    bound = Q.quantization_error_bound(qp)
    bound = bound[:, None] if per_channel else bound
    assert np.all(error <= bound * (1 + 1e-5) + 1e-7)


def test_asymmetric_unsigned_uses_uint8_and_represents_zero_exactly():
    x = RNG.uniform(0, 5, size=100).astype(np.float32)
    qp = Q.qparams_from_range(x.min(), x.max(), symmetric=False, unsigned=True)
    q = Q.quantize(x, qp)
    assert q.dtype == np.uint8 and q.max() == 255
    assert Q.dequantize(Q.quantize(np.zeros(1, np.float32), qp), qp)[0] == 0.0


def test_per_channel_is_more_accurate_than_per_tensor():
    w = RNG.normal(size=(8, 64)).astype(np.float32) * np.logspace(-2, 0, 8)[:, None]
    errors = {}
    for per_channel in (True, False):
        qp = Q.calculate_qparams(w, per_channel=per_channel)
        errors[per_channel] = np.abs(Q.dequantize(Q.quantize(w, qp), qp) - w).mean()
    assert errors[True] < errors[False]


def test_integer_matmul_is_exact_int32():
    qx = RNG.integers(0, 256, size=(5, 7)).astype(np.uint8)
    qw = RNG.integers(-127, 128, size=(3, 7)).astype(np.int8)
    out = Q.integer_matmul(qx, 12, qw, 0)
    assert out.dtype == np.int32
    expected = (qx.astype(np.int64) - 12) @ qw.astype(np.int64).T
    assert np.array_equal(out, expected)


def _mlp():
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))


@pytest.mark.parametrize("per_channel", [True, False])
def test_quantized_linear_matches_dequantized_float(per_channel):
    layer = nn.Linear(16, 8)
    x = RNG.normal(size=(10, 16)).astype(np.float32)
    qp = Q.qparams_from_range(x.min(), x.max(), symmetric=False, unsigned=True)
    qlayer = Q.QuantizedLinear(layer, qp, per_channel=per_channel)
    assert qlayer.weight_int8.dtype == np.int8
    x_dq = Q.dequantize(Q.quantize(x, qp), qp)
    expected = x_dq @ qlayer.dequantized_weight().T + layer.bias.data
    out = qlayer(Tensor(x)).data
    # the integer part is exact: only float32 rounding of the rescale differs
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)



@pytest.mark.parametrize("shape", [(10, 12), (3, 10, 12), (12,)])
def test_quantized_linear_refuses_an_input_of_the_wrong_width_naming_in_features(shape):
    """NumPy would fail too, but its message would not say what the layer expects."""
    layer = nn.Linear(16, 8)
    qp = Q.qparams_from_range(-1.0, 1.0, symmetric=True)
    qlayer = Q.QuantizedLinear(layer, qp)
    with pytest.raises(ValueError, match="expected in_features=16"):
        qlayer(Tensor(np.zeros(shape, np.float32)))


def test_quantized_conv_matches_dequantized_float():
    spatial = pytest.importorskip("tinytorch.spatial")
    conv = spatial.Conv2d(3, 6, kernel_size=3, padding=1, stride=2)
    x = RNG.normal(size=(2, 3, 9, 9)).astype(np.float32)
    qp = Q.qparams_from_range(x.min(), x.max(), symmetric=False, unsigned=True)
    qconv = Q.QuantizedConv2d(conv, qp)
    x_dq = Tensor(Q.dequantize(Q.quantize(x, qp), qp))
    expected = spatial.functional.conv2d(
        x_dq, Tensor(qconv.dequantized_weight()), conv.bias, stride=2, padding=1
    ).data
    out = qconv(Tensor(x)).data
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)


def test_quantize_model_stores_int8_and_cuts_bytes_about_4x():
    model = nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10)
    )
    x = RNG.normal(size=(64, 64)).astype(np.float32)
    reference = model(Tensor(x)).data
    before = parameter_bytes(model)
    batches = [(Tensor(x[i : i + 16]), None) for i in range(0, 64, 16)]
    Q.quantize_model(model, batches)
    assert [type(m).__name__ for m in model] == [
        "QuantizedLinear",
        "ReLU",
        "QuantizedLinear",
        "ReLU",
        "QuantizedLinear",
    ]
    assert all(m.weight_int8.data.dtype == np.int8 for m in model if hasattr(m, "weight_int8"))
    assert before / parameter_bytes(model) > 3.5
    out = model(Tensor(x)).data
    assert np.abs(out - reference).max() < 0.05 * np.abs(reference).max()


def test_calibration_without_batches_is_an_error():
    with pytest.raises(RuntimeError, match="calibration"):
        Q.quantize_model(_mlp(), [])


def test_fake_quantize_forward_and_straight_through_gradient():
    x = Tensor(np.array([-3.0, -0.26, 0.0, 0.49, 3.0]), requires_grad=True, dtype=np.float64)
    qp = Q.qparams_from_range(-1.0, 1.0, symmetric=True)
    y = Q.fake_quantize(x, qp)
    assert np.allclose(y.data, Q.dequantize(Q.quantize(x.data, qp), qp), atol=1e-6)
    y.sum().backward()
    assert np.array_equal(x.grad.data, [0.0, 1.0, 1.0, 1.0, 0.0])  # clipped ends get no gradient
    edge = Tensor(np.array([-1.0, 1.0]), requires_grad=True, dtype=np.float64)
    Q.fake_quantize(edge, qp).sum().backward()
    assert np.array_equal(edge.grad.data, [1.0, 1.0])   # qmin and qmax themselves are inside


def test_fake_quant_linear_trains():
    layer = nn.Linear(4, 2)
    fq = Q.FakeQuantLinear(copy.deepcopy(layer))
    out = fq(Tensor(RNG.normal(size=(3, 4)).astype(np.float32)))
    out.sum().backward()
    assert fq.linear.weight.grad is not None


def test_qparams_symmetric_asymmetric_and_unsigned_by_hand():
    qp = Q.qparams_from_range(-2.0, 1.0)
    assert (qp.qmin, qp.qmax) == (-127, 127)
    np.testing.assert_allclose(qp.scale, 2.0 / 127, rtol=1e-6)
    assert qp.zero_point == 0 and qp.scale.dtype == np.float32 and qp.zero_point.dtype == np.int32
    qp = Q.qparams_from_range(-1.0, 3.0, symmetric=False)
    assert (qp.qmin, qp.qmax) == (-128, 127)
    np.testing.assert_allclose(qp.scale, 4.0 / 255, rtol=1e-6)
    assert qp.zero_point == -128 + 64          # round(1 / (4 / 255)) = round(63.75)
    qp = Q.qparams_from_range(1.0, 5.0, symmetric=False, unsigned=True)
    np.testing.assert_allclose(qp.scale, 5.0 / 255, rtol=1e-6)    # the range always holds 0
    assert qp.zero_point == 0 and (qp.qmin, qp.qmax) == (0, 255)
    qp = Q.qparams_from_range(0.0, 0.0)
    assert qp.scale == 1.0                     # an all-zero tensor still has a usable scale
    assert Q.qparams_from_range(0.0, 0.0, symmetric=False).scale == 1.0
    qp = Q.qparams_from_range(np.array([-1.0, -4.0]), np.array([1.0, 2.0]), axis=0)
    np.testing.assert_allclose(qp.scale, [1 / 127, 4 / 127], rtol=1e-6)


def test_quantize_rounds_to_nearest_and_clips_instead_of_wrapping():
    qp = Q.qparams_from_range(-12.7, 12.7)     # scale 0.1
    x = np.array([0.26, -0.26, 0.04, -0.04, 12.7, 100.0, -100.0], dtype=np.float32)
    np.testing.assert_array_equal(Q.quantize(x, qp), [3, -3, 0, 0, 127, 127, -127])
    qp = Q.qparams_from_range(-5.0, 122.5, symmetric=False, unsigned=True)   # scale 0.5, zp 10
    assert qp.zero_point == 10
    q = Q.quantize(np.array([-100.0, -5.0, 0.0, 0.3, 122.5, 500.0], dtype=np.float32), qp)
    assert q.dtype == np.uint8
    np.testing.assert_array_equal(q, [0, 0, 10, 11, 255, 255])


def test_dequantize_does_not_overflow_the_integer_type():
    qp = Q.qparams_from_range(-1.0, 3.0, symmetric=False)   # zero point -64
    q = np.array([127, -128], dtype=np.int8)
    np.testing.assert_allclose(Q.dequantize(q, qp), [(127 + 64) * 4 / 255, (-128 + 64) * 4 / 255],
                               rtol=1e-6)
    assert Q.dequantize(q, qp).dtype == np.float32


def test_per_channel_scales_follow_their_axis():
    w = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, 30.0]], dtype=np.float32)
    rows = Q.calculate_qparams(w, per_channel=True)
    np.testing.assert_allclose(rows.scale, [3 / 127, 30 / 127], rtol=1e-6)
    np.testing.assert_array_equal(Q.quantize(w, rows), [[42, 85, 127], [42, 85, 127]])
    np.testing.assert_allclose(Q.dequantize(Q.quantize(w, rows), rows), w, rtol=0.02)


def test_fake_quantize_backward_never_writes_into_its_incoming_gradient(monkeypatch):
    original = Q.FakeQuantize.backward

    def read_only(ctx, grad_y):
        grad_y = np.array(grad_y)
        grad_y.flags.writeable = False
        return original(ctx, grad_y)

    monkeypatch.setattr(Q.FakeQuantize, "backward", staticmethod(read_only))
    x = Tensor(np.array([-3.0, -0.26, 0.49, 3.0]), requires_grad=True, dtype=np.float64)
    (Q.fake_quantize(x, Q.qparams_from_range(-1.0, 1.0)) * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 2.0, 2.0, 0.0])


def test_fake_quantize_with_a_zero_point_equals_quantize_then_dequantize():
    qp = Q.qparams_from_range(-1.0, 3.0, symmetric=False)          # zero point -64
    x = np.array([-2.0, -1.0, -0.3, 0.0, 0.7, 2.9, 5.0])
    y = Q.fake_quantize(Tensor(x, dtype=np.float64, requires_grad=True), qp)
    np.testing.assert_allclose(y.data, Q.dequantize(Q.quantize(x, qp), qp), atol=1e-6)


def test_calibration_records_the_input_range_and_then_leaves_the_model_alone():
    model = _mlp()
    batches = [Tensor(np.full((2, 16), v, dtype=np.float32)) for v in (-1.0, 2.0, 9.0)]
    observers = Q.calibrate(model, batches, num_batches=2)
    first = observers["0"]
    assert (first.low, first.high, first.batches) == (-1.0, 2.0, 2)
    assert all("forward" not in layer.__dict__ for _, layer in Q.quantizable_layers(model))
    model(Tensor(np.full((2, 16), 100.0, dtype=np.float32)))      # no longer observed
    assert (first.high, first.batches) == (2.0, 2)
