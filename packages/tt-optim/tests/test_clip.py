"""Gradient clipping: norms, in-place scaling, and refusing non-finite gradients."""

import numpy as np
import pytest
from tinytorch.optim import NonFiniteGradientError, clip_grad_norm_, clip_grad_value_
from tinytorch.tensor import Tensor


def with_grad(grad):
    param = Tensor(np.zeros(np.shape(grad), np.float32), requires_grad=True)
    param.grad = Tensor(np.asarray(grad, np.float32))
    return param


def test_total_norm_is_over_all_parameters_and_grads_scale_to_max_norm():
    a, b = with_grad([3.0, 0.0]), with_grad([[0.0], [4.0]])
    grad_array = a.grad.data
    norm = clip_grad_norm_([a, b], max_norm=1.0)
    assert float(norm) == pytest.approx(5.0)
    assert a.grad.data is grad_array  # in place
    np.testing.assert_allclose(a.grad.data, [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.data, [[0.0], [0.8]], rtol=1e-5)


def test_small_gradients_are_left_alone_and_params_without_grad_ignored():
    a = with_grad([0.3, 0.4])
    no_grad = Tensor(np.zeros(2, np.float32), requires_grad=True)
    norm = clip_grad_norm_([a, no_grad], max_norm=1.0)
    assert float(norm) == pytest.approx(0.5)
    np.testing.assert_allclose(a.grad.data, [0.3, 0.4], rtol=1e-5)


def test_inf_and_one_norms():
    a, b = with_grad([1.0, -7.0]), with_grad([2.0])
    assert float(clip_grad_norm_([a, b], 100.0, norm_type=float("inf"))) == pytest.approx(7.0)
    assert float(clip_grad_norm_([a, b], 100.0, norm_type=1)) == pytest.approx(10.0)


def test_nonfinite_norm_raises_naming_the_parameters_and_leaves_grads_untouched():
    good, bad = with_grad([1.0, 2.0]), with_grad([np.nan, np.inf, 1.0])
    with pytest.raises(NonFiniteGradientError) as error:
        clip_grad_norm_([("layer.weight", good), ("layer.bias", bad)], max_norm=1.0)
    message = str(error.value)
    assert "layer.bias" in message and "1 nan, 1 inf" in message
    assert "layer.weight" not in message
    np.testing.assert_array_equal(good.grad.data, [1.0, 2.0])


def test_nonfinite_norm_without_error_is_returned_and_not_applied():
    good, bad = with_grad([1.0, 2.0]), with_grad([np.inf])
    norm = clip_grad_norm_([good, bad], max_norm=1.0, error_if_nonfinite=False)
    assert np.isinf(float(norm))
    np.testing.assert_array_equal(good.grad.data, [1.0, 2.0])


def test_clip_grad_value():
    a = with_grad([-3.0, 0.5, 2.0])
    clip_grad_value_([a], 1.0)
    np.testing.assert_array_equal(a.grad.data, [-1.0, 0.5, 1.0])
    with pytest.raises(NonFiniteGradientError, match="parameter 0"):
        clip_grad_value_([with_grad([np.nan])], 1.0)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) * 3 for s in [(5, 4), (4,), (2, 2, 2)]]
    for norm_type in (2.0, 1.0, 3.0, float("inf")):
        ours = [with_grad(g) for g in grads]
        theirs = [torch.zeros(g.shape, requires_grad=True) for g in grads]
        for t, g in zip(theirs, grads, strict=True):
            t.grad = torch.from_numpy(g.copy())
        our_norm = clip_grad_norm_(ours, 2.5, norm_type=norm_type)
        their_norm = torch.nn.utils.clip_grad_norm_(theirs, 2.5, norm_type=norm_type)
        assert float(our_norm) == pytest.approx(float(their_norm), rel=1e-5)
        for p, t in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clipping_scales_the_gradient_arrays_in_place_and_returns_the_norm_before():
    a, b = Tensor(np.zeros(2, np.float32)), Tensor(np.zeros(1, np.float32))
    a.grad, b.grad = Tensor(np.float32([3.0, 0.0])), Tensor(np.float32([4.0]))
    arrays = a.grad.data, b.grad.data
    norm = clip_grad_norm_([a, b], max_norm=1.0)
    assert norm.item() == pytest.approx(5.0)
    assert a.grad.data is arrays[0] and b.grad.data is arrays[1]
    np.testing.assert_allclose(a.grad.data, [0.6, 0.0], rtol=1e-5)
    np.testing.assert_allclose(b.grad.data, [0.8], rtol=1e-5)
    c = Tensor(np.zeros(2, np.float32))
    c.grad = Tensor(np.float32([0.3, 0.4]))   # norm 0.5: within the limit, left alone
    assert clip_grad_norm_([c], max_norm=1.0).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(c.grad.data, np.float32([0.3, 0.4]))
