"""Milestone 01 (1957): Rosenblatt's perceptron, trained on your tensors.

A single neuron p = sigmoid(x . w + b) learns to separate two classes of
points in the plane by gradient descent on the binary cross-entropy

    L = -mean( y log p + (1 - y) log(1 - p) ).

Everything here is raw tt-tensor operations and tt-autograd gradients: no
layers, no optimizer. Then the same neuron meets XOR, which no single line
separates: it cannot get more than three of the four points right. That
failure (Minsky and Papert, 1969) is what milestone 02 answers.

Run:  python milestones/01_1957_perceptron/perceptron_trained.py [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from tinytorch.tensor import Tensor
from ttdev.milestone import Milestone

EPSILON = 1e-7  # keeps log() away from 0


def separable_points(rng: np.random.Generator, n: int, margin: float = 0.1):
    """Points in [-1, 1]^2 labelled by a random line, keeping those ``margin`` or more from it."""
    normal = rng.normal(size=2)
    normal /= np.linalg.norm(normal)
    offset = rng.uniform(-0.3, 0.3)
    points = np.empty((0, 2))
    while len(points) < n:
        candidates = rng.uniform(-1, 1, size=(2 * n, 2))
        distance = candidates @ normal + offset
        points = np.concatenate([points, candidates[np.abs(distance) >= margin]])
    points = points[:n]
    labels = (points @ normal + offset > 0).astype(np.float32)
    return points.astype(np.float32), labels


def xor_points():
    """The four corners of XOR: the output is 1 when exactly one input is 1."""
    points = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    labels = np.array([0, 1, 1, 0], dtype=np.float32)
    return points, labels


class Perceptron:
    """p = sigmoid(x . w + b), with w and b tensors that require grad."""

    def __init__(self, rng: np.random.Generator):
        self.w = Tensor(rng.normal(scale=0.1, size=(2, 1)), requires_grad=True)
        self.b = Tensor(np.zeros(1), requires_grad=True)

    def __call__(self, x: Tensor) -> Tensor:
        return (x @ self.w + self.b).sigmoid().reshape(-1)

    def parameters(self) -> list[Tensor]:
        return [self.w, self.b]


def bce(p: Tensor, y: Tensor) -> Tensor:
    """Binary cross-entropy, with p clipped into [eps, 1 - eps]."""
    p = p.clip(EPSILON, 1 - EPSILON)
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


def probability(model: Perceptron, x: np.ndarray) -> np.ndarray:
    """The perceptron's P(class 1) for each row of ``x`` (for accuracy and the pictures)."""
    return model(Tensor(x)).data


def accuracy(model: Perceptron, x: np.ndarray, y: np.ndarray) -> float:
    return float(((probability(model, x) > 0.5) == (y > 0.5)).mean())


def train(
    model: Perceptron, x: np.ndarray, y: np.ndarray, steps: int, lr: float, ms: Milestone, tag: str
):
    """Full-batch gradient descent: w <- w - lr dL/dw. Returns the losses and first gradients."""
    inputs, targets = Tensor(x), Tensor(y)
    losses, first_grads = [], None
    bar = ms.progress(range(steps), desc=tag)
    for step in bar:
        loss = bce(model(inputs), targets)
        for p in model.parameters():
            p.grad = None
        ms.backward(loss, {"w": model.w, "b": model.b}, draw=True)  # the first also draws
        if first_grads is None:
            first_grads = [float(np.linalg.norm(p.grad.data)) for p in model.parameters()]
        for p in model.parameters():
            p.data -= lr * p.grad.data
        losses.append(loss.item())
        ms.log(f"{tag} loss", step, loss.item())
        bar.set_postfix(loss=losses[-1])
    return losses, first_grads


def main() -> int:
    ms = Milestone.from_script(__file__, description=__doc__.splitlines()[0])
    rng = np.random.default_rng(ms.args.seed)
    steps = ms.epochs(full=300, quick=150)

    print("Part 1: a linearly separable problem")
    x, y = separable_points(rng, 400)
    x_train, y_train, x_test, y_test = x[:300], y[:300], x[300:], y[300:]
    model = Perceptron(rng)
    tiny_x, tiny_y = (Tensor(a[:8], dtype=np.float64) for a in (x_train, y_train))
    ms.preflight(lambda: bce(model(tiny_x), tiny_y), {"w": model.w, "b": model.b})
    start_w = model.w.data.copy()
    started = time.perf_counter()
    losses, (grad_w, grad_b) = train(model, x_train, y_train, steps, lr=2.0, ms=ms, tag="separable")
    seconds = time.perf_counter() - started
    test_acc = accuracy(model, x_test, y_test)
    print(f"  loss {losses[0]:.3f} -> {losses[-1]:.3f}; test accuracy {test_acc:.1%}")
    print(
        "  learned boundary: "
        f"{model.w.data[0, 0]:+.2f} x1 {model.w.data[1, 0]:+.2f} x2 {model.b.data[0]:+.2f} = 0"
    )
    ms.record("separable_test_accuracy", test_acc)
    ms.record("separable_loss_drop", 1 - losses[-1] / losses[0])
    ms.record("grad_norm_w", grad_w)
    ms.record("grad_norm_b", grad_b)
    ms.record("weight_change", float(np.linalg.norm(model.w.data - start_w)))
    ms.facts(
        model_or_params=model.parameters(), train_seconds=seconds, samples=steps * len(x_train)
    )

    print("Part 2: XOR, the problem that stopped the field in 1969")
    x_xor, y_xor = xor_points()
    xor_model = Perceptron(rng)
    xor_losses, _ = train(xor_model, x_xor, y_xor, steps * 4, lr=1.0, ms=ms, tag="xor")
    xor_acc = accuracy(xor_model, x_xor, y_xor)
    print(f"  loss {xor_losses[0]:.3f} -> {xor_losses[-1]:.3f}; XOR accuracy {xor_acc:.0%}")
    print("  No line separates {(0,1), (1,0)} from {(0,0), (1,1)}: one neuron is not enough.")
    ms.record("xor_accuracy", xor_acc)
    draw_figures(ms, model, (x_test, y_test), xor_model, (x_xor, y_xor))
    return ms.finish()


def draw_figures(ms: Milestone, model: Perceptron, test, xor_model: Perceptron, xor) -> None:
    """The two decision boundaries side by side, and both losses on one axis."""
    boundary = ms.figure(
        "boundary", "One neuron draws one straight line",
        caption="Colour is the perceptron's P(class 1); the black line is where it equals 0.5. "
        "A line separates the first problem; on XOR every line leaves a point on the wrong "
        "side (circled).")
    boundary.panel("separable data: held-out points", "x1", "x2").decision_boundary(
        lambda p: probability(model, p), *test)
    boundary.panel("XOR: no line separates the classes", "x1", "x2").decision_boundary(
        lambda p: probability(xor_model, p), *xor, bounds=(-0.5, 1.5, -0.5, 1.5))
    loss = ms.figure(
        "loss", "Training loss: the separable data is learned, XOR is not",
        xlabel="gradient step", ylabel="BCE loss (nats)",
        caption="On XOR the loss stays at ln 2, the loss of answering 0.5 for every point.")
    loss.line("separable data", *ms.curve("separable loss"))
    loss.line("XOR", *ms.curve("xor loss"))
    loss.hline(np.log(2), "ln 2 = always 0.5")
    loss.ylim(0)


if __name__ == "__main__":
    sys.exit(main())
