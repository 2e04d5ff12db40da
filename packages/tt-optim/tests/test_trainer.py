"""Trainer: learning on a tiny problem, evaluation, early stopping, accumulation, NaN stop."""

import io

import numpy as np
import pytest
from tinytorch import nn
from tinytorch.optim import (
    SGD,
    Adam,
    DataLoader,
    NonFiniteGradientError,
    TensorDataset,
    lr_scheduler,
)
from tinytorch.optim.trainer import EarlyStopping, NonFiniteLossError, NonFiniteMetricError, Trainer
from tinytorch.tensor import Tensor, manual_seed


def blobs(n=200, seed=0):
    """Three Gaussian blobs in 2-D: an easy 3-class problem."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])
    points = centers[labels] + rng.standard_normal((n, 2))
    return points.astype(np.float32), labels.astype(np.int64)


def mlp(seed=0):
    manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))


def loaders(batch_size=20, shuffle=True):
    train = DataLoader(TensorDataset(*blobs(200, 0)), batch_size, shuffle=shuffle, seed=0)
    val = DataLoader(TensorDataset(*blobs(100, 1)), 50)
    return train, val


def quiet_trainer(model, optimizer, **options):
    return Trainer(model, optimizer, nn.CrossEntropyLoss(), progress=False, **options)


def test_loss_falls_and_accuracy_rises_on_a_tiny_problem():
    model = mlp()
    train, val = loaders()
    trainer = quiet_trainer(model, Adam(model.parameters(), lr=0.01))
    history = trainer.fit(train, val, epochs=8)
    assert history["epoch"] == list(range(1, 9))
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_accuracy"][-1] > 0.95
    assert trainer.global_step == 8 * len(train)
    assert set(history) >= {"lr", "seconds", "samples_per_second", "val_loss", "train_accuracy"}
    assert trainer.evaluate(val)["accuracy"] == pytest.approx(history["val_accuracy"][-1])


def test_evaluate_runs_in_eval_mode_without_a_graph_and_restores_the_mode():
    seen = []

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = mlp()

        def forward(self, x):
            out = self.inner(x)
            seen.append((self.training, out.requires_grad))
            return out

    model = Spy()
    trainer = quiet_trainer(model, SGD(model.parameters(), lr=0.1))
    trainer.evaluate(loaders()[1])
    assert seen and all(mode == (False, False) for mode in seen)
    assert model.training


def test_progress_prints_one_line_per_epoch():
    model = mlp()
    stream = io.StringIO()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), stream=stream)
    trainer.fit(loaders()[0], epochs=2)
    lines = [line for line in stream.getvalue().splitlines() if line.startswith("epoch")]
    assert any(
        "epoch 2/2" in line and "train_loss" in line and "samples/s" in line for line in lines
    )


def test_early_stopping_stops_after_patience_and_restores_best_weights():
    model = mlp()
    train, val = loaders()
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    # lr 0: the loss never improves after epoch 1, so epochs 2 and 3 are bad: stop after 4
    trainer = quiet_trainer(model, SGD(model.parameters(), lr=0.0), early_stopping=stopper)
    history = trainer.fit(train, val, epochs=20)
    assert trainer.stopped_early
    assert len(history["epoch"]) == 4
    assert stopper.best_epoch == 1


def test_early_stopping_on_a_missing_metric_names_the_available_ones():
    model = mlp()
    trainer = quiet_trainer(
        model,
        SGD(model.parameters(), lr=0.1),
        early_stopping=EarlyStopping(monitor="val_accuracy", mode="max"),
    )
    with pytest.raises(KeyError, match="needs a val_loader"):
        trainer.fit(loaders()[0], epochs=1)


def parameters_after_one_epoch(batch_size, accumulation_steps):
    model = mlp(seed=3)
    train = DataLoader(TensorDataset(*blobs(64, 0)), batch_size, shuffle=False)
    trainer = quiet_trainer(
        model, SGD(model.parameters(), lr=0.5), accumulation_steps=accumulation_steps
    )
    trainer.fit(train, epochs=1)
    return [p.data.copy() for p in model.parameters()], trainer.global_step


@pytest.mark.parametrize("steps_per_update", [2, 4])   # 2: the smallest k that must divide
def test_gradient_accumulation_equals_one_step_on_the_larger_batch(steps_per_update):
    big, big_steps = parameters_after_one_epoch(batch_size=16, accumulation_steps=1)
    accumulated, steps = parameters_after_one_epoch(batch_size=16 // steps_per_update,
                                                    accumulation_steps=steps_per_update)
    assert big_steps == steps == 4
    for a, b in zip(big, accumulated, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_accumulated_batches_report_their_own_undivided_losses():
    model = mlp(seed=3)
    data = TensorDataset(*blobs(64, 0))
    loss_fn = nn.CrossEntropyLoss()
    expected = [float(loss_fn(model(x), y).item()) for x, y in DataLoader(data, 16)]
    # lr 0: the weights never change, so each batch's loss is known in advance
    trainer = quiet_trainer(model, SGD(model.parameters(), lr=0.0), accumulation_steps=2)
    history = trainer.fit(DataLoader(data, 16), epochs=1)
    np.testing.assert_allclose(trainer.step_losses, expected, rtol=1e-6)
    assert history["train_loss"][0] == pytest.approx(np.mean(expected), rel=1e-6)


def test_an_epoch_scheduler_is_stepped_once_per_epoch_not_per_batch():
    model = mlp()
    optimizer = SGD(model.parameters(), lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    trainer = quiet_trainer(model, optimizer, scheduler=scheduler)   # interval "epoch"
    trainer.fit(loaders()[0], epochs=2)
    assert scheduler.last_epoch == 2 and optimizer.param_groups[0]["lr"] == pytest.approx(0.25)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_non_finite_loss_stops_with_epoch_step_and_values_before_the_weights_change():
    model = mlp()
    points, labels = blobs(60)
    points[45] = np.inf  # batch 2 of 20 samples holds it
    train = DataLoader(TensorDataset(points, labels), 20)
    trainer = quiet_trainer(model, SGD(model.parameters(), lr=0.1))
    with pytest.raises(NonFiniteLossError) as error:
        trainer.fit(train, epochs=3)
    assert (error.value.epoch, error.value.step, error.value.global_step) == (1, 2, 2)
    assert not np.isfinite(error.value.loss)
    assert "epoch 1, batch 2" in str(error.value)
    assert all(np.isfinite(p.data).all() for p in model.parameters())
    # checked before backward: the bad batch left no gradient behind
    assert all(p.grad is None for p in model.parameters())


class NanGradientOnBatch(nn.Module):
    """An MLP whose last layer's weight gets a nan gradient on one batch; the loss stays finite."""

    def __init__(self, bad_batch):
        super().__init__()
        self.inner, self.bad_batch, self.calls = mlp(), bad_batch, 0

    def forward(self, x):
        self.calls += 1
        out = self.inner(x)
        if self.training and self.calls == self.bad_batch + 1:
            # sqrt(0) has an infinite slope: times 0 its gradient is nan, its value 0
            out = out + (self.inner[2].weight * 0.0).sqrt().sum() * 0.0
        return out


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_a_nan_gradient_on_the_last_batch_stops_before_the_step_and_names_the_parameter():
    model = NanGradientOnBatch(bad_batch=9)  # 200 samples / 20: batch 9 is the last
    trainer = quiet_trainer(model, SGD(model.parameters(), lr=0.1))
    with pytest.raises(NonFiniteGradientError) as error:
        trainer.fit(loaders()[0], epochs=2)
    assert error.value.parameters == ["inner.2.weight"]
    assert (error.value.epoch, error.value.global_step) == (1, 9)
    assert "inner.2.weight" in str(error.value) and "step 10" in str(error.value)
    assert all(np.isfinite(p.data).all() for p in model.parameters())


class NanOnValidation(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = mlp()

    def forward(self, x):
        out = self.inner(x)
        return out if self.training else out * Tensor(np.float32(np.nan))


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_a_nan_validation_loss_stops_fit_naming_the_metric_and_epoch():
    model = NanOnValidation()
    train, val = loaders()
    trainer = quiet_trainer(model, SGD(model.parameters(), lr=0.1))
    with pytest.raises(NonFiniteMetricError, match="val_loss is nan at epoch 1") as error:
        trainer.fit(train, val, epochs=3)
    assert (error.value.epoch, error.value.metric) == (1, "val_loss")
    assert len(trainer.history["val_loss"]) == 1  # the bad epoch is kept for inspection


def test_step_scheduler_and_grad_clip():
    model = mlp()
    optimizer = SGD(model.parameters(), lr=1.0)
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=0.5, total_iters=10)
    trainer = quiet_trainer(
        model, optimizer, scheduler=scheduler, scheduler_interval="step", grad_clip=0.1
    )
    train = loaders()[0]
    trainer.fit(train, epochs=1)
    assert scheduler.last_epoch == len(train)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(1.0)


def test_the_optimizer_sees_gradients_clipped_to_grad_clip():
    norms = []

    class Recording(SGD):
        def step(self, closure=None):
            grads = [p.grad.data for p in self.parameters() if p.grad is not None]
            norms.append(float(np.sqrt(sum((g.astype(np.float64) ** 2).sum() for g in grads))))
            return super().step(closure)

    model = mlp()
    trainer = quiet_trainer(model, Recording(model.parameters(), lr=0.1), grad_clip=1e-3)
    trainer.fit(loaders()[0], epochs=1)
    assert len(norms) == len(loaders()[0]) and max(norms) <= 1e-3 * (1 + 1e-4)


def test_reduce_on_plateau_is_fed_the_monitored_metric():
    model = mlp()
    optimizer = SGD(model.parameters(), lr=0.0)
    plateau = lr_scheduler.ReduceLROnPlateau(optimizer, patience=0, factor=0.5)
    optimizer.param_groups[0]["lr"] = 1e-9  # too small to change the loss
    trainer = quiet_trainer(model, optimizer, scheduler=plateau)
    train, val = loaders()
    trainer.fit(train, val, epochs=3)
    assert plateau.last_epoch == 3
    assert plateau.best == pytest.approx(trainer.history["val_loss"][0])


def test_custom_metric_functions():
    def top2(outputs, targets):
        return float(np.mean((np.argsort(outputs, axis=1)[:, -2:] == targets[:, None]).any(1)))

    model = mlp()
    trainer = quiet_trainer(model, SGD(model.parameters(), lr=0.1), metrics=["accuracy", top2])
    result = trainer.evaluate(loaders()[1])
    assert result["top2"] >= result["accuracy"]
    with pytest.raises(ValueError, match="unknown metric"):
        quiet_trainer(model, SGD(model.parameters(), lr=0.1), metrics=["f1"])


class RecordingDisplay:
    """A display factory's product: records what the Trainer shows."""

    made: list = []

    def __init__(self, desc, total):
        self.desc, self.total, self.descriptions, self.postfixes = desc, total, [], []
        self.batches, self.closed = 0, False
        RecordingDisplay.made.append(self)

    def __call__(self, iterable):
        for item in iterable:
            self.batches += 1
            yield item

    def set_description(self, text):
        self.descriptions.append(text)

    def set_postfix(self, refresh=True, **values):
        self.postfixes.append(values)

    def close(self):
        self.closed = True


def test_a_display_factory_gets_one_display_for_the_whole_run_with_loss_and_accuracy():
    RecordingDisplay.made = []
    model = mlp()
    train, val = loaders()
    trainer = Trainer(model, SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(),
                      progress=lambda desc, total: RecordingDisplay(desc, total),
                      stream=io.StringIO())
    trainer.fit(train, val, epochs=3)
    assert len(RecordingDisplay.made) == 1
    display = RecordingDisplay.made[0]
    assert display.total == 3 * len(train) and display.batches == 3 * len(train)
    assert display.descriptions == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert {"loss", "acc"} <= set(display.postfixes[-1]) and display.closed
    assert trainer.stream.getvalue().count("epoch ") == 3  # the epoch lines are still printed
