"""The training loop milestone 04's scripts share: mini-batches, cross-entropy, an optimizer.

Kept apart from the scripts so that the MLP and the CNN they compare are
trained by literally the same code: same batches (one seeded DataLoader order
per model), same epochs, same optimizer settings.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from tinytorch import nn
from tinytorch.autograd import no_grad
from tinytorch.optim import DataLoader, TensorDataset
from tinytorch.tensor import Tensor


@dataclass
class TrainResult:
    """What one training run measured."""

    losses: list[float] = field(default_factory=list)   # mean loss of each epoch
    epoch_seconds: list[float] = field(default_factory=list)
    test_accuracy: float = 0.0
    parameters: int = 0
    test_predictions: np.ndarray | None = None  # the predicted class of each test image

    @property
    def loss_decrease(self) -> float:
        """1 - last epoch's loss / first epoch's loss.

        0 with fewer than two epochs: there is no later epoch to compare with,
        so no decrease was measured (and a bar on it fails, as it should).
        """
        if len(self.losses) < 2:
            return 0.0
        return 1.0 - self.losses[-1] / self.losses[0]

    @property
    def seconds_per_epoch(self) -> float:
        """Mean wall time of one training epoch (0 when nothing was trained)."""
        return float(np.mean(self.epoch_seconds)) if self.epoch_seconds else 0.0


def predictions(model: nn.Module, images: np.ndarray, batch: int = 500) -> np.ndarray:
    """The class ``model`` scores highest for each image, in evaluation mode and without a graph."""
    model.eval()
    with no_grad():
        classes = [model(Tensor(images[start:start + batch])).data.argmax(axis=1)
                   for start in range(0, len(images), batch)]
    model.train()
    return np.concatenate(classes)


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray, batch: int = 500) -> float:
    """Fraction of ``images`` classified as ``labels``."""
    return float((predictions(model, images, batch) == labels).mean())


def train_epoch(model: nn.Module, loader, optimizer, loss_fn, progress=None) -> float:
    """One pass over ``loader``: zero_grad, forward, loss, backward, step. Returns the mean loss.

    ``progress(loader)``, if given, wraps the loader; when what it returns has
    ``set_postfix``, it is shown the running loss and training accuracy.
    """
    total, batches, correct, seen = 0.0, 0, 0, 0
    batches_seen = progress(loader) if progress else loader
    show = getattr(batches_seen, "set_postfix", None)
    for images, labels in batches_seen:
        optimizer.zero_grad()
        logits = model(images)
        loss = loss_fn(logits, labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
        correct += int((logits.data.argmax(axis=1) == labels.data).sum())
        seen += len(labels.data)
        if show:
            show(loss=total / batches, acc=correct / seen)
    return total / batches


def fit(model: nn.Module, make_optimizer, train, test, epochs: int, batch_size: int, seed: int,
        ms=None, name: str = "model", dataset=None, verbose: bool = False,
        make_scheduler=None) -> TrainResult:
    """Train ``model`` on ``train`` = (images, labels) and measure it on ``test``.

    ``make_optimizer(params)`` builds the optimizer, so two models compared
    get the same settings; the batch order comes from ``seed`` alone.
    ``make_scheduler(optimizer)``, if given, builds a schedule stepped once per epoch.
    Each epoch's loss is logged to ``ms`` as the curve ``<name>_loss``; with
    ``verbose`` each epoch also prints its loss and seconds. ``epochs=0`` is
    allowed: the untrained model is measured.
    """
    if epochs < 0:
        raise ValueError(f"fit: epochs must be at least 0, got {epochs}")
    loader = DataLoader(dataset or TensorDataset(*train), batch_size=batch_size, shuffle=True,
                        seed=seed)
    optimizer, loss_fn = make_optimizer(model.parameters()), nn.CrossEntropyLoss()
    if ms:  # before training: the model's gradients on four images, against finite differences
        tiny_x = Tensor(np.asarray(getattr(train[0], "data", train[0])[:4]), dtype=np.float64)
        tiny_y = Tensor(np.asarray(getattr(train[1], "data", train[1])[:4]))
        ms.preflight(lambda: loss_fn(model(tiny_x), tiny_y), model=model)
    scheduler = make_scheduler(optimizer) if make_scheduler else None
    result = TrainResult(parameters=model.num_parameters())
    display = ms.progress(desc=name, total=epochs * len(loader)) if ms else None
    for epoch in range(epochs):
        started = time.perf_counter()
        if display:
            display.set_description(f"{name} epoch {epoch + 1}/{epochs}")
        result.losses.append(train_epoch(model, loader, optimizer, loss_fn, display))
        result.epoch_seconds.append(time.perf_counter() - started)
        if scheduler:
            scheduler.step()
        if ms:
            ms.log(f"{name}_loss", epoch + 1, result.losses[-1])
        if verbose:
            print(f"  {name} epoch {epoch + 1}/{epochs}: loss {result.losses[-1]:.4f}, "
                  f"{result.epoch_seconds[-1]:.1f} s/epoch", flush=True)
    if display:
        display.close()
    result.test_predictions = predictions(model, test[0])
    result.test_accuracy = float((result.test_predictions == test[1]).mean())
    return result


def print_comparison(title: str, results: dict[str, TrainResult]) -> None:
    """The fair-comparison table: accuracy, loss decrease, parameters, time."""
    print(f"\n{title}")
    print(f"  {'model':<6} {'test acc':>9} {'loss decrease':>14} {'parameters':>11} {'s/epoch':>8}")
    for name, r in results.items():
        print(f"  {name:<6} {r.test_accuracy:>9.2%} {r.loss_decrease:>14.1%} {r.parameters:>11,} "
              f"{r.seconds_per_epoch:>8.2f}")
