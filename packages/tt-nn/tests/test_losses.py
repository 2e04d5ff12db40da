"""Loss values, stability for huge logits and the errors for bad targets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.nn import functional as F
from tinytorch.tensor import Tensor


def logits(rows):
    return Tensor(np.array(rows, dtype=np.float32), requires_grad=True)


def reference_cross_entropy(z, y, weight=None, smoothing=0.0, ignore_index=-100):
    """The definition written out row by row, in float64."""
    z = np.asarray(z, np.float64)
    num_classes = z.shape[1]
    w = np.ones(num_classes) if weight is None else np.asarray(weight, np.float64)
    losses, weights = [], []
    for row, target in zip(z, y, strict=True):
        if target == ignore_index:
            losses.append(0.0)
            continue
        log_p = row - row.max() - math.log(np.exp(row - row.max()).sum())
        nll = -w[target] * log_p[target]
        smooth = -(w * log_p).sum() / num_classes
        losses.append((1 - smoothing) * nll + smoothing * smooth)
        weights.append(w[target])
    return np.array(losses), sum(weights)


def test_cross_entropy_values_for_every_option():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((6, 4)) * 3
    y = np.array([0, 3, -100, 2, 1, 3])
    weight = np.array([0.5, 1.0, 2.0, 1.5])
    for w in (None, weight):
        for smoothing in (0.0, 0.3):
            rows, total_weight = reference_cross_entropy(z, y, w, smoothing)
            kwargs = dict(weight=w, label_smoothing=smoothing)
            none = F.cross_entropy(Tensor(z), y, reduction="none", **kwargs).data
            np.testing.assert_allclose(none, rows, rtol=1e-5, atol=1e-6)
            total = F.cross_entropy(Tensor(z), y, reduction="sum", **kwargs).item()
            assert total == pytest.approx(rows.sum(), rel=1e-5)
            mean = F.cross_entropy(Tensor(z), y, **kwargs).item()
            assert mean == pytest.approx(rows.sum() / total_weight, rel=1e-5)


def test_cross_entropy_is_float32_and_matches_nll_of_log_softmax():
    z = logits([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    y = np.array([1, 2])
    loss = nn.CrossEntropyLoss()(z, y)
    assert loss.dtype == np.float32 and loss.shape == ()
    assert loss.item() == pytest.approx(nn.NLLLoss()(F.log_softmax(z, 1), y).item(), rel=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    z = logits([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]])
    nn.CrossEntropyLoss(reduction="sum")(z, np.array([1, 2])).backward()
    expected = F.softmax(z.detach(), 1).data - np.eye(3)[[1, 2]]
    np.testing.assert_allclose(z.grad.data, expected, rtol=1e-5, atol=1e-7)
    assert z.grad.dtype == np.float32


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_is_finite_for_logits_of_magnitude_1e4(smoothing):
    z = logits([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]])
    loss = F.cross_entropy(z, np.array([1, 2, 0]), label_smoothing=smoothing)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(z.grad.data).all()
    if smoothing == 0.0:
        assert loss.item() == pytest.approx((2e4 + 0 + math.log(2)) / 3, rel=1e-6)


def test_ignore_index_rows_add_nothing_and_are_not_counted():
    z = logits([[1.0, 2.0], [5.0, -5.0], [0.0, 0.0]])
    loss = F.cross_entropy(z, np.array([0, -100, 1]))
    loss.backward()
    expected = (math.log(1 + math.e) + math.log(2)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    assert not z.grad.data[1].any()
    assert F.cross_entropy(z, np.array([-100, -100, -100]), reduction="sum").item() == 0


@pytest.mark.parametrize(
    ("loss_fn", "options"),
    [("cross_entropy", {}), ("cross_entropy", {"label_smoothing": 0.1}), ("nll_loss", {})],
)
def test_a_batch_whose_targets_are_all_ignored_has_zero_gradient(loss_fn, options):
    """As PyTorch: the 'mean' is 0 / 0 = NaN, but nothing flows back (no NaN in the weights)."""
    z = logits([[1.0, 2.0, 0.5], [5.0, -5.0, 0.0]])
    target = np.array([-100, -100])
    loss = getattr(F, loss_fn)(z, target, **options)
    assert math.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(z.grad.data, np.zeros((2, 3)))
    z.grad = None
    getattr(F, loss_fn)(z, target, reduction="sum", **options).backward()
    np.testing.assert_array_equal(z.grad.data, np.zeros((2, 3)))


def test_all_ignored_matches_pytorch():
    torch = pytest.importorskip("torch")
    values = np.array([[1.0, 2.0, 0.5], [5.0, -5.0, 0.0]], dtype=np.float32)
    z = logits(values)
    tz = torch.tensor(values, requires_grad=True)
    ours = F.cross_entropy(z, np.array([-100, -100]))
    theirs = torch.nn.functional.cross_entropy(tz, torch.tensor([-100, -100]))
    assert math.isnan(ours.item()) and math.isnan(theirs.item())
    ours.backward()
    theirs.backward()
    np.testing.assert_array_equal(z.grad.data, tz.grad.numpy())


def test_bce_with_logits_is_stable_for_huge_logits():
    x = logits([1e4, -1e4, 1e4, -1e4])
    y = np.array([1.0, 0.0, 0.0, 1.0], np.float32)
    loss = nn.BCEWithLogitsLoss(reduction="none")(x, y)
    np.testing.assert_allclose(loss.data, [0, 0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0, 0, 1, -1])


def test_bce_clamps_the_log_like_pytorch():
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0], np.float32), requires_grad=True)
    y = np.array([0.0, 1.0, 1.0, 0.0], np.float32)
    loss = nn.BCELoss(reduction="none")(p, y)
    np.testing.assert_allclose(loss.data, [0, 0, 100, 100])
    loss.sum().backward()
    assert np.isfinite(p.grad.data).all()


def test_bce_rejects_values_outside_zero_one():
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\].*sigmoid"):
        F.binary_cross_entropy(Tensor([0.5, 1.5]), [0.0, 1.0])


def test_mse_loss_value_and_shape_error():
    loss = nn.MSELoss()(Tensor([1.0, 2.0, 4.0]), Tensor([1.0, 0.0, 1.0]))
    assert loss.item() == pytest.approx((0 + 4 + 9) / 3)
    assert nn.MSELoss(reduction="sum")(Tensor([1.0, 3.0]), [0.0, 0.0]).item() == 10
    with pytest.raises(ValueError, match=r"target of shape \(3, 1\).*input's shape \(3,\)"):
        nn.MSELoss()(Tensor([1.0, 2.0, 3.0]), Tensor([[1.0], [2.0], [3.0]]))


def test_out_of_range_class_names_the_value_and_the_number_of_classes():
    with pytest.raises(IndexError, match="target value 5 is out of range for 3 classes"):
        nn.CrossEntropyLoss()(logits([[0.0, 1.0, 2.0]]), np.array([5]))
    with pytest.raises(IndexError, match="target value -1 is out of range for 3 classes"):
        nn.NLLLoss()(logits([[0.0, 1.0, 2.0]]), np.array([-1]))


def test_float_targets_are_a_dtype_error():
    with pytest.raises(TypeError, match="integer class indices.*got dtype float32.*long"):
        nn.CrossEntropyLoss()(logits([[0.0, 1.0]]), Tensor([1.0]))


def test_target_of_the_wrong_shape_names_both_shapes():
    with pytest.raises(
        ValueError, match=r"target of shape \(2, 1\).*\(2, 3\).*expected target shape \(2,\)"
    ):
        nn.CrossEntropyLoss()(logits([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0]]), np.array([[0], [1]]))


def test_bad_reduction_and_smoothing_are_errors():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', got 'avg'"):
        nn.CrossEntropyLoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing must be in \\[0, 1\\]"):
        F.cross_entropy(logits([[0.0, 1.0]]), np.array([0]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"weight of shape \(2,\) must have one entry per class"):
        F.cross_entropy(logits([[0.0, 1.0, 2.0]]), np.array([0]), weight=np.ones(2))
