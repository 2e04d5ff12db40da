"""Pruning: magnitude masks, masks surviving optimizer steps, structured pruning, reports."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.nn.functional import cross_entropy
from tinytorch.optim import SGD, Adam
from tinytorch.systems import pruning
from tinytorch.tensor import Tensor, manual_seed

RNG = np.random.default_rng(0)


def _mlp():
    manual_seed(0)
    return nn.Sequential(
        nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 3)
    )


def _train_steps(model, optimizer, steps=5):
    x = Tensor(RNG.normal(size=(20, 8)).astype(np.float32))
    y = RNG.integers(0, 3, 20)
    for _ in range(steps):
        loss = cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@pytest.mark.parametrize("scope", ["global", "layer"])
@pytest.mark.parametrize("amount", [0.5, 0.9])
def test_magnitude_pruning_reaches_the_asked_sparsity(scope, amount):
    model = _mlp()
    masks = pruning.PruningMasks.magnitude(model, amount, scope=scope)
    assert masks.sparsity == pytest.approx(amount, abs=0.01)
    report = pruning.sparsity_report(model)
    assert report[-1].name == "(all)"
    assert report[-1].sparsity == pytest.approx(amount, abs=0.01)
    if scope == "layer":
        assert all(r.sparsity == pytest.approx(amount, abs=0.05) for r in report[:-1])


def test_global_pruning_removes_the_smallest_weights():
    model = _mlp()
    weights = pruning.prunable_weights(model)
    every = np.concatenate([np.abs(w.data).ravel() for w in weights.values()])
    cut = np.sort(every)[int(0.5 * every.size) - 1]
    pruning.PruningMasks.magnitude(model, 0.5, scope="global")
    for w in weights.values():
        kept = w.data != 0
        # everything kept was at least as large as everything removed
        assert np.all(np.abs(w.data[kept]) >= cut)


@pytest.mark.parametrize("optimizer_type", [SGD, Adam])
def test_masks_survive_optimizer_steps(optimizer_type):
    model = _mlp()
    masks = pruning.PruningMasks.magnitude(model, 0.8, scope="global")
    zero_before = {n: m == 0 for n, m in masks.masks.items()}
    kwargs = {"lr": 0.1, "momentum": 0.9} if optimizer_type is SGD else {"lr": 0.01}
    optimizer = optimizer_type(model.parameters(), **kwargs)
    masks.attach(optimizer)
    _train_steps(model, optimizer, steps=10)
    params = dict(model.named_parameters())
    for name, zero in zero_before.items():
        assert np.all(params[name].data[zero] == 0)
    assert pruning.sparsity_report(model)[-1].sparsity >= 0.8 - 1e-3



def test_attach_keeps_what_the_optimizers_step_returns_and_its_arguments():
    """A step with a closure returns the loss (as PyTorch's): the masked step passes it on."""
    model = _mlp()
    masks = pruning.PruningMasks.magnitude(model, 0.5)
    calls = []

    class Recording:
        def step(self, *args, **kwargs):
            calls.append((args, kwargs))
            for p in model.parameters():
                p.data += 1.0  # revives every pruned weight
            return "the loss"

    optimizer = Recording()
    masks.attach(optimizer)
    assert optimizer.step("closure", flag=True) == "the loss"
    assert calls == [(("closure",), {"flag": True})]
    params = dict(model.named_parameters())
    for name, mask in masks.masks.items():
        assert np.all(params[name].data[mask == 0] == 0)


def test_without_masks_attached_momentum_revives_weights():
    model = _mlp()
    masks = pruning.PruningMasks.magnitude(model, 0.8)
    optimizer = SGD(model.parameters(), lr=0.1, momentum=0.9)
    _train_steps(model, optimizer)
    assert pruning.sparsity_report(model)[-1].sparsity < 0.8  # the reason for attach()
    masks.apply()
    assert pruning.sparsity_report(model)[-1].sparsity >= 0.8 - 1e-3


def test_structured_pruning_shrinks_linear_layers():
    model = _mlp()
    smaller = pruning.prune_structured(model, 0.5)
    assert [m.weight.shape for m in smaller if hasattr(m, "weight")] == [(8, 8), (6, 8), (3, 6)]
    out = smaller(Tensor(RNG.normal(size=(4, 8)).astype(np.float32)))
    assert out.shape == (4, 3)
    assert smaller.num_parameters() < model.num_parameters()


def test_structured_pruning_of_dead_neurons_changes_nothing():
    model = _mlp()
    dead = [1, 4, 6, 9, 11, 13, 14, 15]
    model[0].weight.data[dead] = 0
    model[0].bias.data[dead] = 0  # ReLU(0) = 0: these neurons contribute nothing
    model[2].weight.data[::2] = 0
    model[2].bias.data[::2] = 0
    smaller = pruning.prune_structured(model, 0.5)
    assert smaller[0].out_features == 8 and smaller[2].in_features == 8
    assert smaller[2].out_features == 6 and smaller[4].in_features == 6
    x = Tensor(RNG.normal(size=(5, 8)).astype(np.float32))
    np.testing.assert_allclose(smaller(x).data, model(x).data, rtol=1e-5, atol=1e-6)


def test_structured_pruning_of_zero_conv_channels_through_flatten():
    spatial = pytest.importorskip("tinytorch.spatial")
    manual_seed(0)
    model = nn.Sequential(
        spatial.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        spatial.Conv2d(4, 6, 3, padding=1),
        nn.ReLU(),
        spatial.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(6 * 2 * 2, 5),
    )
    model[0].weight.data[[0, 3]] = 0
    model[0].bias.data[[0, 3]] = 0
    model[2].weight.data[[1, 2, 5]] = 0
    model[2].bias.data[[1, 2, 5]] = 0
    smaller = pruning.prune_structured(model, 0.5)
    assert smaller[0].weight.shape == (2, 1, 3, 3)
    assert smaller[2].weight.shape == (3, 2, 3, 3)
    assert smaller[6].weight.shape == (5, 3 * 2 * 2)
    x = Tensor(RNG.normal(size=(2, 1, 4, 4)).astype(np.float32))
    np.testing.assert_allclose(smaller(x).data, model(x).data, rtol=1e-5, atol=1e-5)


def test_structured_pruning_slices_batchnorm():
    spatial = pytest.importorskip("tinytorch.spatial")
    model = nn.Sequential(
        spatial.Conv2d(1, 4, 3), spatial.BatchNorm2d(4), nn.ReLU(), spatial.Conv2d(4, 2, 3)
    )
    smaller = pruning.prune_structured(model, 0.5)
    assert smaller[1].num_features == 2 and smaller[1].running_mean.shape == (2,)
    smaller.eval()
    assert smaller(Tensor(np.ones((1, 1, 6, 6), np.float32))).shape == (1, 2, 2, 2)


def test_sparse_bytes_fall_below_dense_at_high_sparsity():
    from tinytorch.systems.profiler import parameter_bytes

    model = _mlp()
    dense = parameter_bytes(model)
    assert pruning.sparse_bytes(copy.deepcopy(model)) > dense  # CSR costs more when dense
    pruning.PruningMasks.magnitude(model, 0.9)
    assert pruning.sparse_bytes(model) < dense / 2


def test_bad_amount_and_scope_are_errors():
    with pytest.raises(ValueError, match="amount"):
        pruning.PruningMasks.magnitude(_mlp(), 1.5)
    with pytest.raises(ValueError, match="scope"):
        pruning.PruningMasks.magnitude(_mlp(), 0.5, scope="row")


def _two_layers(first, second):
    manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 2))
    model[0].weight.data[...] = np.asarray(first, dtype=np.float32).reshape(2, 4)
    model[2].weight.data[...] = np.asarray(second, dtype=np.float32).reshape(2, 2)
    return model


def test_layer_pruning_removes_exactly_the_smallest_fraction_of_each_layer():
    model = _two_layers([-8, 1, -2, 7, 3, -0.5, 6, 5], [0.1, -0.2, 9, 4])
    pruning.PruningMasks.magnitude(model, 0.25, scope="layer")
    # 8 weights: round(0.25 * 8) = 2 go (|w| 0.5 and 1); 4 weights: round(0.25 * 4) = 1 goes (0.1)
    np.testing.assert_array_equal(model[0].weight.data.ravel(), [-8, 0, -2, 7, 3, 0, 6, 5])
    np.testing.assert_array_equal(model[2].weight.data.ravel(), np.float32([0, -0.2, 9, 4]))


def test_global_pruning_removes_exactly_the_smallest_fraction_overall():
    model = _two_layers([-8, 1, -2, 7, 3, -0.5, 6, 5], [0.1, -0.2, 9, 4])
    masks = pruning.PruningMasks.magnitude(model, 0.25, scope="global")
    # 12 weights: the 3 smallest |w| overall (0.1, 0.2, 0.5) go, two of them in the second layer
    np.testing.assert_array_equal(model[0].weight.data.ravel(), [-8, 1, -2, 7, 3, 0, 6, 5])
    np.testing.assert_array_equal(model[2].weight.data.ravel(), [0, 0, 9, 4])
    assert masks.sparsity == pytest.approx(0.25)


def test_pruning_with_ties_still_removes_exactly_the_asked_count():
    model = _two_layers([1, 1, 1, 1, 1, 1, 2, 2], [1, 1, 3, 3])
    for scope in ("layer", "global"):
        pruned = copy.deepcopy(model)
        masks = pruning.PruningMasks.magnitude(pruned, 0.5, scope=scope)
        assert masks.sparsity == pytest.approx(0.5), scope
        zeros = sum(int((w.data == 0).sum()) for w in pruning.prunable_weights(pruned).values())
        assert zeros == 6, scope
    assert pruning.PruningMasks.magnitude(copy.deepcopy(model), 0.0).sparsity == 0.0


def test_applying_masks_zeroes_the_masked_gradients_too():
    model = _two_layers([-8, 1, -2, 7, 3, -0.5, 6, 5], [0.1, -0.2, 9, 4])
    masks = pruning.PruningMasks.magnitude(model, 0.25, scope="layer")
    for weight in pruning.prunable_weights(model).values():
        weight.data[...] = 1.0
        weight.grad = Tensor(np.ones(weight.shape, dtype=np.float32))
    masks.apply()
    np.testing.assert_array_equal(model[0].weight.data.ravel(), [1, 0, 1, 1, 1, 0, 1, 1])
    np.testing.assert_array_equal(model[0].weight.grad.data.ravel(), [1, 0, 1, 1, 1, 0, 1, 1])
    np.testing.assert_array_equal(model[2].weight.grad.data.ravel(), [0, 1, 1, 1])
