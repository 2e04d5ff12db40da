"""BatchNorm2d / BatchNorm1d and Dropout2d: gradcheck in both modes, running stats, parity."""

from __future__ import annotations

import numpy as np
import pytest
from tinytorch.autograd import FunctionCtx, gradcheck
from tinytorch.spatial import BatchNorm1d, BatchNorm2d, Dropout2d
from tinytorch.spatial import functional as F
from tinytorch.tensor import ShapeError, Tensor

RNG = np.random.default_rng(2)


def t64(*shape, requires_grad=True):
    return Tensor(RNG.standard_normal(shape), dtype=np.float64, requires_grad=requires_grad)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training):
    x, weight, bias = t64(3, 2, 3, 4), t64(2), t64(2)
    mean = Tensor(RNG.standard_normal(2), dtype=np.float64)
    var = Tensor(RNG.random(2) + 0.5, dtype=np.float64)
    # running stats are copied per call so finite differences see the same state
    assert gradcheck(lambda a, w, b: F.batch_norm(a, Tensor(mean.data.copy()),
                                                  Tensor(var.data.copy()), w, b, training),
                     x, weight, bias)


@pytest.mark.parametrize("shape", [(8, 3, 4, 5), (6, 3)])
def test_batch_norm_function_normalizes_with_the_batch_or_the_given_statistics(shape):
    data = (RNG.standard_normal(shape) * 3 + 2).astype(np.float32)
    weight, bias = np.array([0.5, 2.0, -1.0], np.float32), np.array([1.0, 0.0, -3.0], np.float32)
    axes = (0, *range(2, len(shape)))
    channel = (1, 3) + (1,) * (len(shape) - 2)
    # training: the batch's mean and biased variance (ddof 0), eps inside the root
    out = F.batch_norm(Tensor(data), None, None, Tensor(weight), Tensor(bias), training=True,
                       eps=0.5)
    x_hat = (data - data.mean(axis=axes, keepdims=True)) / np.sqrt(
        data.var(axis=axes, keepdims=True) + 0.5)
    assert out.dtype == np.float32 and out.shape == shape
    np.testing.assert_allclose(out.data, x_hat * weight.reshape(channel) + bias.reshape(channel),
                               rtol=1e-4, atol=1e-5)
    # evaluation: the given statistics, which stay as they were
    mean, var = np.array([1.0, -1.0, 2.0], np.float32), np.array([4.0, 0.25, 1.0], np.float32)
    running_mean, running_var = Tensor(mean.copy()), Tensor(var.copy())
    out = F.batch_norm(Tensor(data), running_mean, running_var, Tensor(weight), None,
                       training=False)
    expected = (data - mean.reshape(channel)) / np.sqrt(var.reshape(channel) + 1e-5)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected * weight.reshape(channel), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(running_mean.data, mean)
    np.testing.assert_array_equal(running_var.data, var)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False), (False, False, True),
                                   (True, True, True)])
def test_batch_norm_backward_returns_only_the_gradients_asked_for(training, needs):
    x = RNG.standard_normal((4, 3, 2, 2))
    weight, bias = RNG.standard_normal(3), RNG.standard_normal(3)
    ctx = FunctionCtx()
    ctx.needs_input_grad = needs
    running = (None, None) if training else (np.zeros(3), np.ones(3))
    F.BatchNormFunction.forward(ctx, x, weight, bias, running_mean=running[0],
                                running_var=running[1], training=training, momentum=0.0,
                                eps=1e-5)
    grad_y = RNG.standard_normal(x.shape)
    grad_y.setflags(write=False)   # the incoming gradient is read-only
    grads = F.BatchNormFunction.backward(ctx, grad_y)
    assert len(grads) == 3
    for need, grad, shape in zip(needs, grads, (x.shape, (3,), (3,)), strict=True):
        assert (grad is not None) == need
        if need:
            assert grad.shape == shape


def test_batch_norm_without_affine_gradcheck():
    x = t64(4, 3, 2, 2)
    assert gradcheck(lambda a: F.batch_norm(a, None, None, training=True), x)


def test_batchnorm2d_module_gradcheck_both_modes():
    bn = BatchNorm2d(3).double()
    bn.weight.data[:] = RNG.standard_normal(3)
    x = t64(4, 3, 2, 3)
    bn.eval()
    assert gradcheck(lambda a, w, b: bn(a), x, bn.weight, bn.bias)
    bn.train()
    bn.momentum = 0.0  # finite differences call forward many times; keep the stats still
    assert gradcheck(lambda a, w, b: bn(a), x, bn.weight, bn.bias)


def test_training_normalizes_and_updates_running_stats():
    bn = BatchNorm2d(3)
    data = (RNG.standard_normal((8, 3, 5, 5)) * 3 + 2).astype(np.float32)
    out = bn(Tensor(data)).data
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-3)
    np.testing.assert_allclose(bn.running_mean.data, 0.1 * data.mean(axis=(0, 2, 3)), rtol=1e-5)
    unbiased = data.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(bn.running_var.data, 0.9 + 0.1 * unbiased, rtol=1e-5)
    assert int(bn.num_batches_tracked.data) == 1
    assert bn.running_mean.dtype == np.float32 and out.dtype == np.float32


def test_eval_uses_running_stats_and_leaves_them_alone():
    bn = BatchNorm2d(2)
    bn.running_mean.data[:] = [1.0, -1.0]
    bn.running_var.data[:] = [4.0, 0.25]
    bn.eval()
    x = np.ones((1, 2, 1, 1), np.float32)
    out = bn(Tensor(x)).data.ravel()
    np.testing.assert_allclose(out, [0.0, 2.0 / np.sqrt(0.25 + 1e-5)], rtol=1e-5)
    assert bn.running_mean.data.tolist() == [1.0, -1.0]
    assert bn.running_var.data.tolist() == [4.0, 0.25]
    assert int(bn.num_batches_tracked.data) == 0


def test_momentum_none_is_the_cumulative_average_of_the_batches():
    bn = BatchNorm2d(2, momentum=None)
    batches = [(RNG.standard_normal((4, 2, 3, 3)) * (k + 1) + k).astype(np.float32)
               for k in range(3)]
    for data in batches:
        bn(Tensor(data))
    means = np.mean([b.mean(axis=(0, 2, 3)) for b in batches], axis=0)
    variances = np.mean([b.var(axis=(0, 2, 3), ddof=1) for b in batches], axis=0)
    # the first batch replaces the initial statistics entirely (weight 1 / 1)
    np.testing.assert_allclose(bn.running_mean.data, means, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.data, variances, rtol=1e-5)
    assert int(bn.num_batches_tracked.data) == 3


def test_without_running_stats_eval_normalizes_with_the_batch():
    bn = BatchNorm2d(3, track_running_stats=False)
    assert bn.running_mean is None and bn.running_var is None
    bn.eval()
    data = (RNG.standard_normal((4, 3, 2, 2)) * 3 + 2).astype(np.float32)
    out = bn(Tensor(data)).data
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(axis=(0, 2, 3)), 1, atol=1e-3)


def test_buffers_are_in_the_state_dict_not_the_parameters():
    bn = BatchNorm2d(4)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]


def test_batchnorm_errors_name_the_layer():
    with pytest.raises(ShapeError, match=r"BatchNorm2d\(4, .*expected input of shape "
                                         r"\(N, 4, H, W\), got shape \(2, 3, 5, 5\)"):
        BatchNorm2d(4)(Tensor(np.zeros((2, 3, 5, 5), np.float32)))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm2d(3)(Tensor(np.zeros((1, 3, 1, 1), np.float32)))


def test_dropout2d_zeroes_whole_channels_and_keeps_the_mean():
    layer = Dropout2d(0.5)
    out = layer(Tensor(np.ones((64, 32, 3, 3), np.float32))).data
    per_channel = out.reshape(64, 32, 9)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # whole maps
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert abs(out.mean() - 1.0) < 0.1
    layer.eval()
    x = Tensor(np.ones((2, 3, 2, 2), np.float32))
    assert layer(x) is x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout2d_keeps_the_dtype_and_p_one_zeroes_everything(dtype):
    x = Tensor(np.ones((3, 4, 2, 2)), dtype=dtype, requires_grad=True)
    half = F.dropout2d(x, 0.5, generator=np.random.default_rng(1))
    assert half.dtype == dtype
    with np.errstate(all="raise"):
        out = F.dropout2d(x, 1.0)
    assert out.dtype == dtype and not out.data.any()
    out.sum().backward()
    assert not x.grad.data.any()


def test_dropout2d_gradient_follows_the_mask():
    x = Tensor(np.ones((4, 8, 2, 2), np.float32), requires_grad=True)
    out = F.dropout2d(x, 0.5, generator=np.random.default_rng(0))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, out.data)


# ---------------------------------------------------------------- PyTorch parity

@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm2d_matches_pytorch_over_train_and_eval(momentum):
    torch = pytest.importorskip("torch")
    ours, theirs = BatchNorm2d(3, momentum=momentum).double(), \
        torch.nn.BatchNorm2d(3, momentum=momentum).double()
    for step in range(3):
        data = RNG.standard_normal((4, 3, 5, 5)) * (step + 1) + step
        x, tx = Tensor(data, dtype=np.float64, requires_grad=True), \
            torch.tensor(data, requires_grad=True)
        out, expected = ours(x), theirs(tx)
        grad_out = RNG.standard_normal(out.shape)
        out.backward(grad_out)
        expected.backward(torch.tensor(grad_out))
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(), rtol=1e-9)
        np.testing.assert_allclose(ours.running_mean.data, theirs.running_mean.numpy(), rtol=1e-9)
        np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(), rtol=1e-9)
    ours.eval()
    theirs.eval()
    data = RNG.standard_normal((2, 3, 4, 4))
    np.testing.assert_allclose(ours(Tensor(data, dtype=np.float64)).data,
                               theirs(torch.tensor(data)).detach().numpy(), rtol=1e-9, atol=1e-9)


def test_batchnorm1d_matches_pytorch():
    torch = pytest.importorskip("torch")
    ours, theirs = BatchNorm1d(4).double(), torch.nn.BatchNorm1d(4).double()
    for shape in ((8, 4), (8, 4, 5)):
        data = RNG.standard_normal(shape)
        np.testing.assert_allclose(ours(Tensor(data, dtype=np.float64)).data,
                                   theirs(torch.tensor(data)).detach().numpy(), rtol=1e-9,
                                   atol=1e-9)
    np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(), rtol=1e-9)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
def test_batch_norm_on_nc_and_ncl_gradcheck(shape):
    x, weight, bias = t64(*shape), t64(3), t64(3)
    assert gradcheck(lambda a, w, b: F.batch_norm(a, None, None, w, b, training=True),
                     x, weight, bias)


def test_batch_norm_input_gradient_with_frozen_weight_and_bias():
    # dL/dx still needs the sums of dL/dy and dL/dy * x_hat when the affine is frozen
    x = t64(3, 2, 3, 4)
    weight, bias = t64(2, requires_grad=False), t64(2, requires_grad=False)
    assert gradcheck(lambda a: F.batch_norm(a, None, None, weight, bias, training=True), x)


def test_dropout2d_inplace_overwrites_its_input_and_keeps_the_gradient():
    x = Tensor(np.ones((4, 6, 2, 2)), requires_grad=True)
    hidden = x * 1.0
    out = Dropout2d(0.5, inplace=True)(hidden)
    assert out is hidden
    out.sum().backward()
    kept = out.data[:, :, 0, 0] != 0
    np.testing.assert_array_equal(out.data[kept], 2.0)
    np.testing.assert_array_equal(x.grad.data, out.data)  # d(x * mask)/dx = mask = out here
