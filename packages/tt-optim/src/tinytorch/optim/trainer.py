"""Trainer: the training loop written once, with the care a real run needs.

```python
trainer = Trainer(model, optim.Adam(model.parameters()), nn.CrossEntropyLoss())
history = trainer.fit(train_loader, val_loader, epochs=10)
trainer.evaluate(test_loader)          # {"loss": ..., "accuracy": ...}
```

One training step is the five lines every PyTorch loop has: forward, loss,
backward, optimizer step, zero the gradients. Around them the Trainer adds
what is easy to get wrong by hand:

- gradient accumulation (``accumulation_steps=k``: k mini-batches, each
  loss divided by k, add up to one step on a k times larger batch);
- gradient clipping (``grad_clip=max_norm``, via ``clip_grad_norm_``);
- scheduler stepping per epoch or per optimizer step (``scheduler_interval``),
  and ReduceLROnPlateau fed with a monitored metric;
- evaluation in ``eval()`` mode under ``no_grad``;
- a per-epoch ``history`` (losses, metrics, lr, time, throughput) for plots;
- early stopping on any history metric (``EarlyStopping``);
- a clear stop the moment a number goes bad, before it reaches the weights:
  ``NonFiniteLossError`` when a batch's loss is nan or inf,
  ``NonFiniteGradientError`` when a gradient is (naming the parameter),
  ``NonFiniteMetricError`` when an epoch's training or validation loss or
  metric is (naming the metric);
- a progress bar (tqdm when installed; otherwise one printed line per epoch),
  or one display for the whole run from a factory the caller passes
  (``progress=make_display``), such as a milestone's ``ms.progress``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from tinytorch.autograd import no_grad

from .checkpoint import load_checkpoint, save_checkpoint
from .clip import NonFiniteGradientError, clip_grad_norm_
from .data.dataset import as_array
from .lr_scheduler import ReduceLROnPlateau


class NonFiniteLossError(FloatingPointError):
    """The loss became nan or inf: training stopped before the weights were changed.

    Attributes: ``epoch``, ``step`` (batch within the epoch), ``global_step``
    (optimizer steps so far) and ``loss``.
    """

    def __init__(self, message: str, epoch: int, step: int, global_step: int, loss: float):
        super().__init__(message)
        self.epoch, self.step, self.global_step, self.loss = epoch, step, global_step, loss


class NonFiniteMetricError(FloatingPointError):
    """An epoch's loss or metric (``val_loss``, ``train_accuracy``, ...) is nan or inf.

    Attributes: ``epoch``, ``metric`` (the history key) and ``value``.
    The epoch is already in ``Trainer.history``.
    """

    def __init__(self, message: str, epoch: int, metric: str, value: float):
        super().__init__(message)
        self.epoch, self.metric, self.value = epoch, metric, value


def accuracy(outputs: np.ndarray, targets: np.ndarray) -> float:
    """The fraction of rows whose largest output is at the target class index."""
    return float(np.mean(outputs.argmax(axis=-1) == targets))


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {"accuracy": accuracy}
"""Metrics the Trainer knows by name: ``metric(outputs, targets) -> mean over the batch``."""


class EarlyStopping:
    """Stop when ``monitor`` (a history key such as ``"val_loss"``) stops improving.

    Training stops after ``patience`` epochs in a row without an improvement
    of more than ``min_delta`` (``mode="min"``: lower is better; ``"max"``:
    higher). With ``restore_best_weights`` the model gets back the weights of
    its best epoch when training stops.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        mode: str = "min",
        min_delta: float = 0.0,
        restore_best_weights: bool = False,
    ):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.monitor, self.patience, self.mode = monitor, patience, mode
        self.min_delta, self.restore_best_weights = abs(min_delta), restore_best_weights
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.bad_epochs = 0
        self.best_weights: dict[str, np.ndarray] | None = None

    def improved(self, value: float) -> bool:
        """Whether ``value`` beats the best so far by more than ``min_delta``."""
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def should_stop(self, value: float, epoch: int, model) -> bool:
        """Record this epoch's ``value``; True once patience has run out."""
        if self.improved(value):
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {
                    k: np.array(as_array(v), copy=True) for k, v in model.state_dict().items()
                }
            return False
        self.bad_epochs += 1
        return self.bad_epochs > self.patience


class Trainer:
    """Fit a model with an optimizer and a loss; evaluate it; keep the history.

    Args:
        model: a Module; ``model(inputs)`` gives outputs.
        optimizer: an Optimizer over the model's parameters.
        loss_fn: ``loss_fn(outputs, targets)`` -> scalar Tensor (e.g. nn.CrossEntropyLoss()).
        scheduler: an LR scheduler, stepped every epoch or every optimizer step.
        grad_clip: clip the gradients' total 2-norm to this value before each step.
        metrics: names from METRICS or functions ``f(outputs, targets) -> float``
            (NumPy arrays in, the batch mean out).
        accumulation_steps: mini-batches whose gradients add up to one step.
        scheduler_interval: ``"epoch"`` or ``"step"`` (after each optimizer step).
        scheduler_monitor: the history key fed to ReduceLROnPlateau
            (default ``"val_loss"``, or ``"train_loss"`` without validation data).
        early_stopping: an ``EarlyStopping``, checked after every epoch.
        progress: show a progress bar per epoch and a line per epoch (True), nothing
            (False), or a factory ``progress(desc=..., total=...)`` making one display
            for the whole ``fit``: called with each epoch's loader it returns an
            iterable over it, and it has ``set_postfix(**values)``,
            ``set_description(text)`` and ``close()`` (tqdm's names); it is shown the
            running loss and accuracy, and the epoch lines are still printed.
    """

    def __init__(
        self,
        model,
        optimizer,
        loss_fn,
        scheduler=None,
        grad_clip: float | None = None,
        metrics: Sequence[str | Callable] = ("accuracy",),
        accumulation_steps: int = 1,
        scheduler_interval: str = "epoch",
        scheduler_monitor: str | None = None,
        early_stopping: EarlyStopping | None = None,
        progress: bool | Callable = True,
        stream=None,
    ):
        if accumulation_steps < 1:
            raise ValueError(f"Trainer: accumulation_steps must be >= 1, got {accumulation_steps}")
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(
                f"Trainer: scheduler_interval must be 'epoch' or 'step', got {scheduler_interval!r}"
            )
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.scheduler, self.grad_clip = scheduler, grad_clip
        self.metrics = named_metrics(metrics)
        self.accumulation_steps = accumulation_steps
        self.scheduler_interval, self.scheduler_monitor = scheduler_interval, scheduler_monitor
        self.early_stopping = early_stopping
        self.progress, self.stream = progress, stream or sys.stdout
        self.display = None  # the run's display while fit() runs with a progress factory
        self.history: dict[str, list[float]] = {}
        self.step_losses: list[float] = []
        self.epoch = 0
        self.global_step = 0
        self.stopped_early = False

    # ------------------------------------------------------------------ fitting

    def fit(
        self, train_loader: Iterable, val_loader: Iterable | None = None, epochs: int = 1
    ) -> dict[str, list[float]]:
        """Train for ``epochs`` epochs (fewer if early stopping fires); returns ``history``."""
        self.optimizer.zero_grad()
        last_epoch = self.epoch + epochs
        self.display = self.run_display(train_loader, epochs)
        try:
            self.fit_epochs(train_loader, val_loader, epochs, last_epoch)
        finally:
            if self.display is not None:
                self.display.close()
            self.display = None
        return self.history

    def fit_epochs(self, train_loader, val_loader, epochs: int, last_epoch: int) -> None:
        """The epochs of ``fit``: train, evaluate, record, schedule, print, stop early."""
        for _ in range(epochs):
            self.epoch += 1
            started = time.perf_counter()
            train = self.train_epoch(train_loader, last_epoch)
            seconds = time.perf_counter() - started
            val = self.evaluate(val_loader) if val_loader is not None else {}
            self.record_epoch(train, val, seconds)
            self.check_finite_metrics()
            self.step_epoch_scheduler()
            self.print_epoch(last_epoch)
            if self.check_early_stopping():
                break

    def train_epoch(self, loader: Iterable, last_epoch: int | None = None) -> dict[str, float]:
        """One pass over ``loader`` in training mode: mean loss and metrics, sample count."""
        self.model.train()
        totals = RunningMeans()
        desc = f"epoch {self.epoch}/{last_epoch or self.epoch}"
        if self.display is not None:
            self.display.set_description(desc)
            batches = self.display(loader)
        else:
            batches = self.progress_bar(loader, desc)
        count = len(loader) if hasattr(loader, "__len__") else None
        started = time.perf_counter()
        for index, (inputs, targets) in enumerate(batches):
            is_last = count is not None and index == count - 1
            loss, outputs = self.training_step(inputs, targets, index, is_last)
            self.step_losses.append(loss)
            totals.add(len(outputs), loss=loss, **self.batch_metrics(outputs, targets))
            shows = self.display if self.display is not None else batches
            if hasattr(shows, "set_postfix"):
                rate = totals.count / max(time.perf_counter() - started, 1e-9)
                running = totals.means()
                shown = {"loss": f"{running['loss']:.4f}"}
                if "accuracy" in running:
                    shown["acc"] = f"{running['accuracy']:.3f}"
                shows.set_postfix(**shown, samples_per_s=f"{rate:,.0f}", refresh=False)
        if self.has_accumulated_gradients():
            self.optimizer_step()  # a loader without len(): finish the last partial accumulation
        return totals.means()

    def training_step(self, inputs, targets, index: int, is_last: bool) -> tuple[float, np.ndarray]:
        """Forward, loss, backward; an optimizer step every ``accumulation_steps`` batches.

        ``index`` is the batch's position in the epoch (from 0), ``is_last`` whether it
        is the epoch's last batch. In order: outputs = ``self.model(inputs)``, loss =
        ``self.loss_fn(outputs, targets)``; ``self.check_finite(loss, outputs, index)``
        (given: it raises NonFiniteLossError before any gradient exists); backward of
        the loss divided by ``accumulation_steps`` (so k accumulated batches give the
        gradient of one k times larger batch); then ``self.optimizer_step()`` after
        every ``accumulation_steps``-th batch and after the last batch of the epoch.

        Returns the batch's loss as a float (not divided) and the outputs as an array
        (``as_array``).
        """
        # BEGIN SOLUTION
        outputs = self.model(inputs)
        loss = self.loss_fn(outputs, targets)
        self.check_finite(loss, outputs, index)
        if self.accumulation_steps > 1:
            (loss / self.accumulation_steps).backward()
        else:
            loss.backward()
        if (index + 1) % self.accumulation_steps == 0 or is_last:
            self.optimizer_step()
        return float(loss.item()), as_array(outputs)
        # END SOLUTION

    def optimizer_step(self) -> None:
        """One optimizer step, in this order: refuse non-finite gradients (call
        ``self.check_finite_gradients()``, which raises NonFiniteGradientError naming the
        parameters, before anything changes), clip them to ``grad_clip`` if set, update the
        weights, zero the gradients, count the step in ``global_step``, and step the
        scheduler when ``scheduler_interval == "step"``."""
        # BEGIN SOLUTION
        self.check_finite_gradients()
        if self.grad_clip is not None:
            clip_grad_norm_(self.named_parameters(), self.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad()
        self.global_step += 1
        if self.scheduler is not None and self.scheduler_interval == "step":
            self.scheduler.step()
        # END SOLUTION

    def has_accumulated_gradients(self) -> bool:
        return any(p.grad is not None for p in self.optimizer.parameters())

    def named_parameters(self) -> list:
        """(name, parameter) pairs, so clipping errors can name the layer at fault."""
        if hasattr(self.model, "named_parameters"):
            return list(self.model.named_parameters())
        return self.optimizer.parameters()

    # ------------------------------------------------------------------ evaluation

    def evaluate(self, loader: Iterable) -> dict[str, float]:
        """Mean loss and metrics over ``loader``, in eval mode, without recording a graph."""
        was_training = getattr(self.model, "training", True)
        self.model.eval()
        totals = RunningMeans()
        try:
            with no_grad():
                for inputs, targets in loader:
                    outputs = self.model(inputs)
                    loss = float(self.loss_fn(outputs, targets).item())
                    totals.add(len(outputs), loss=loss, **self.batch_metrics(outputs, targets))
        finally:
            self.model.train(was_training)
        return totals.means()

    def batch_metrics(self, outputs, targets) -> dict[str, float]:
        outputs, targets = as_array(outputs), as_array(targets)
        return {name: fn(outputs, targets) for name, fn in self.metrics.items()}

    # ------------------------------------------------------------------ end of epoch

    def record_epoch(self, train: dict, val: dict, seconds: float) -> None:
        """Append this epoch's numbers to ``history``."""
        samples = train.pop("samples")
        val.pop("samples", None)
        row = {
            "epoch": self.epoch,
            "lr": self.optimizer.param_groups[0]["lr"],
            "seconds": seconds,
            "samples_per_second": samples / max(seconds, 1e-9),
        }
        row.update({f"train_{k}": v for k, v in train.items()})
        row.update({f"val_{k}": v for k, v in val.items()})
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)

    def step_epoch_scheduler(self) -> None:
        """Step a per-epoch scheduler; ReduceLROnPlateau gets the monitored metric."""
        if self.scheduler is None:
            return
        if isinstance(self.scheduler, ReduceLROnPlateau):
            monitor = self.scheduler_monitor or (
                "val_loss" if "val_loss" in self.history else "train_loss"
            )
            self.scheduler.step(self.latest(monitor, "scheduler_monitor"))
        elif self.scheduler_interval == "epoch":
            self.scheduler.step()

    def check_early_stopping(self) -> bool:
        stopper = self.early_stopping
        if stopper is None:
            return False
        value = self.latest(stopper.monitor, "EarlyStopping(monitor=...)")
        if not stopper.should_stop(value, self.epoch, self.model):
            return False
        self.stopped_early = True
        if stopper.restore_best_weights and stopper.best_weights is not None:
            self.model.load_state_dict(stopper.best_weights)
        self.say(
            f"early stopping: {stopper.monitor} has not improved for {stopper.bad_epochs} "
            f"epochs (best {stopper.best:.4g} at epoch {stopper.best_epoch})"
        )
        return True

    def latest(self, key: str, who: str) -> float:
        if key not in self.history:
            raise KeyError(
                f"{who}: {key!r} is not in the history; "
                f"available: {sorted(self.history)} (val_* needs a val_loader)"
            )
        return self.history[key][-1]

    # ------------------------------------------------------------------ non-finite loss

    def check_finite(self, loss, outputs, index: int) -> None:
        """Raise NonFiniteLossError when the loss is nan or inf, saying where and why."""
        value = float(loss.item())
        if math.isfinite(value):
            return
        out = as_array(outputs)
        bad_outputs = int((~np.isfinite(out)).sum())
        bad_params = [
            name for name, p in self.named_parameters_or_indexed() if not np.isfinite(p.data).all()
        ]
        raise NonFiniteLossError(
            f"the loss became {value} at epoch {self.epoch}, batch {index} "
            f"(after {self.global_step} optimizer steps); {bad_outputs} of {out.size} model "
            f"outputs are non-finite (largest finite |output| "
            f"{np.abs(out[np.isfinite(out)]).max(initial=0.0):.3g}); parameters with "
            f"non-finite values: {bad_params or 'none'}. Training stopped before this batch's "
            "gradients reached the weights; try a lower learning rate or grad_clip.",
            epoch=self.epoch,
            step=index,
            global_step=self.global_step,
            loss=value,
        )

    def check_finite_gradients(self) -> None:
        """Raise NonFiniteGradientError, naming the parameters, when a gradient is nan or inf."""
        bad = [
            name
            for name, p in self.named_parameters_or_indexed()
            if p.grad is not None and not np.isfinite(p.grad.data).all()
        ]
        if not bad:
            return
        raise NonFiniteGradientError(
            f"non-finite gradient (nan or inf) in {', '.join(bad)} at epoch {self.epoch}, "
            f"before optimizer step {self.global_step + 1}; the step was not taken, so the "
            "weights are still finite. A loss that is finite while its gradient is not "
            "usually means a formula with a removable singularity (sqrt, log or a division "
            "at 0) in that parameter's layer, or an overflow: try grad_clip or a lower "
            "learning rate, and check the layer's backward with gradcheck.",
            epoch=self.epoch,
            global_step=self.global_step,
            parameters=bad,
        )

    def check_finite_metrics(self) -> None:
        """Raise NonFiniteMetricError when this epoch's losses or metrics are nan or inf."""
        for key, values in self.history.items():
            if key.startswith(("train_", "val_")) and not math.isfinite(values[-1]):
                raise NonFiniteMetricError(
                    f"{key} is {values[-1]} at epoch {self.epoch} (after {self.global_step} "
                    "optimizer steps): the model's outputs or the loss went bad on "
                    + ("the validation data" if key.startswith("val_") else "the training data")
                    + "; training stopped. The epoch is in Trainer.history.",
                    epoch=self.epoch,
                    metric=key,
                    value=values[-1],
                )

    def named_parameters_or_indexed(self) -> list:
        named = self.named_parameters()
        return [
            item if isinstance(item, tuple) else (f"parameter {i}", item)
            for i, item in enumerate(named)
        ]

    # ------------------------------------------------------------------ checkpoints

    def save_checkpoint(self, path) -> None:
        """Save model, optimizer, scheduler, epoch, step counters and history (atomically)."""
        extra = {
            "global_step": self.global_step,
            "history": self.history,
            "step_losses": self.step_losses,
        }
        save_checkpoint(
            path, self.model, self.optimizer, self.scheduler, epoch=self.epoch, extra=extra
        )

    def load_checkpoint(self, path) -> None:
        """Resume from ``save_checkpoint``: the next ``fit`` continues from the saved epoch."""
        state = load_checkpoint(path, self.model, self.optimizer, self.scheduler)
        self.epoch = state["epoch"] or 0
        self.global_step = state["extra"]["global_step"]
        self.history = {k: list(v) for k, v in state["extra"]["history"].items()}
        self.step_losses = list(state["extra"]["step_losses"])

    # ------------------------------------------------------------------ output

    def run_display(self, loader: Iterable, epochs: int):
        """The caller's display for the whole run (``progress`` a factory), else None."""
        if not callable(self.progress):
            return None
        total = epochs * len(loader) if hasattr(loader, "__len__") else None
        return self.progress(desc="train", total=total)

    def progress_bar(self, loader: Iterable, desc: str):
        """tqdm over ``loader`` when installed, progress is on and the output is a terminal."""
        if not self.progress:
            return loader
        try:  # tqdm is optional: tinytorch's packages need NumPy alone
            from tqdm.auto import tqdm
        except ImportError:
            return loader
        # disable=None: no bar when the stream is not a terminal (logs keep the epoch lines)
        return tqdm(
            loader,
            desc=desc,
            unit="batch",
            leave=False,
            file=self.stream,
            dynamic_ncols=True,
            mininterval=0.5,
            disable=None,
        )

    def print_epoch(self, last_epoch: int) -> None:
        """One line per epoch: losses, metrics, lr, time and throughput."""
        row = {key: values[-1] for key, values in self.history.items()}
        parts = [f"epoch {self.epoch}/{last_epoch}"]
        parts += [f"{k} {v:.4f}" for k, v in row.items() if k.startswith(("train_", "val_"))]
        parts.append(f"lr {row['lr']:.3g}")
        parts.append(f"{row['seconds']:.2f}s ({row['samples_per_second']:,.0f} samples/s)")
        self.say("  ".join(parts))

    def say(self, line: str) -> None:
        if self.progress:
            print(line, file=self.stream, flush=True)


class RunningMeans:
    """Sample-weighted means of per-batch values over an epoch."""

    def __init__(self) -> None:
        self.count = 0
        self.sums: dict[str, float] = {}

    def add(self, batch_size: int, **values: float) -> None:
        self.count += batch_size
        for name, value in values.items():
            self.sums[name] = self.sums.get(name, 0.0) + value * batch_size

    def means(self) -> dict[str, Any]:
        means = {name: total / max(self.count, 1) for name, total in self.sums.items()}
        return {**means, "samples": self.count}


def named_metrics(metrics: Sequence[str | Callable]) -> dict[str, Callable]:
    """Metric names and functions: names are looked up in METRICS, functions keep theirs."""
    named = {}
    for metric in metrics:
        if callable(metric):
            named[metric.__name__] = metric
        elif metric in METRICS:
            named[metric] = METRICS[metric]
        else:
            raise ValueError(
                f"Trainer: unknown metric {metric!r}; known: {sorted(METRICS)}, "
                "or pass a function f(outputs, targets) -> float"
            )
    return named
