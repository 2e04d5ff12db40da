"""Milestone 02 (1969-1986): a hidden layer, trained by backpropagation, solves XOR.

Minsky and Papert (1969): no single line separates XOR's two classes, so the
perceptron of milestone 01 gets at most three of the four points right.
Rumelhart, Hinton and Williams (1986): add a hidden layer and train every
weight with the chain rule, and the network learns a new representation of
the inputs in which the classes *are* linearly separable.

    x (2) -> Linear(2, 4) -> Tanh -> Linear(4, 1) -> Sigmoid -> p,
    L = BCE(p, y) = -mean(y log p + (1 - y) log(1 - p)),
    every parameter: w <- w - lr dL/dw (plain gradient descent).

Part 1 trains that network on the four XOR points for ten seeds and prints
what the hidden layer learned. Part 2 trains it on a noisy cloud of XOR
points and tests it on held-out ones. Part 3 removes the Tanh: two stacked
linear layers compose to one linear map, and XOR is out of reach again, as
it is for a single layer (the perceptron of 1969). The figures put the
decision boundaries side by side: one line, still one line, a curve that works.

Run:  python milestones/02_1969_xor_crisis/xor_solved.py [--quick]
"""

from __future__ import annotations

import sys
import time

import numpy as np
from tinytorch import nn
from tinytorch.tensor import Tensor, manual_seed
from ttdev.milestone import Milestone

SEEDS = 10
XOR_LR = 1.0
CLOUD_LR = 0.5


def xor_points() -> tuple[np.ndarray, np.ndarray]:
    """The four corners of XOR: the label is 1 when exactly one input is 1."""
    points = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    labels = np.array([[0], [1], [1], [0]], dtype=np.float32)
    return points, labels


def xor_cloud(
    rng: np.random.Generator, n: int, noise: float = 0.35
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points scattered around the corners (+-1, +-1); label 1 when the signs differ."""
    corners = rng.choice([-1.0, 1.0], size=(n, 2))
    points = corners + rng.normal(scale=noise, size=(n, 2))
    labels = (corners[:, 0] != corners[:, 1]).astype(np.float32).reshape(-1, 1)
    return points.astype(np.float32), labels


def mlp(hidden: int = 4, activation: bool = True) -> nn.Sequential:
    """2 -> hidden -> 1 with a Tanh between the layers (or nothing, for part 3)."""
    middle = nn.Tanh() if activation else nn.Identity()
    return nn.Sequential(nn.Linear(2, hidden), middle, nn.Linear(hidden, 1), nn.Sigmoid())


def single_layer() -> nn.Sequential:
    """The perceptron of milestone 01 as layers: Linear(2, 1) -> Sigmoid."""
    return nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())


def probability(model: nn.Module):
    """``points -> P(class 1)`` of ``model``, for the decision-boundary pictures."""

    def predict(points: np.ndarray) -> np.ndarray:
        model.eval()
        scores = model(Tensor(points)).data[:, 0]
        model.train()
        return scores

    return predict


def gradient_step(model: nn.Module, lr: float) -> None:
    """w <- w - lr dL/dw for every parameter (optimizers arrive with tt-optim)."""
    for param in model.parameters():
        param.data -= lr * param.grad.data


def train(model: nn.Module, x: np.ndarray, y: np.ndarray, steps: int, lr: float,
          ms: Milestone | None = None):
    """Full-batch gradient descent on BCE.

    Returns the losses and, by parameter name, the norm of its gradient at the first step.
    With ``ms``, the run's first backward also checks the graph and draws it.
    """
    inputs, targets, loss_fn = Tensor(x), Tensor(y), nn.BCELoss()
    losses, first_grad_norms = [], None
    for _ in range(steps):
        model.zero_grad()
        loss = loss_fn(model(inputs), targets)
        if ms:
            ms.backward(loss, model, draw=True)  # the run's first also checks and draws
        else:
            loss.backward()
        if first_grad_norms is None:
            first_grad_norms = {
                name: float(np.linalg.norm(p.grad.data)) for name, p in model.named_parameters()
            }
        gradient_step(model, lr)
        losses.append(loss.item())
    return losses, first_grad_norms


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    predictions = model(Tensor(x)).data > 0.5
    model.train()
    return float((predictions == (y > 0.5)).mean())


def show_hidden_features(model: nn.Sequential, x: np.ndarray, y: np.ndarray) -> bool:
    """Print the hidden layer's view of the four points; True if one line there separates them."""
    hidden = model[1](model[0](Tensor(x))).data
    w, b = model[2].weight.data[0], model[2].bias.data[0]
    scores = hidden @ w + b
    print("  hidden features h = tanh(W1 x + b1) and the output layer's score w2 . h + b2:")
    for point, label, h, score in zip(x, y[:, 0], hidden, scores, strict=True):
        features = np.array2string(h, precision=2, sign=" ")
        print(
            f"    x = {point.astype(int)}  y = {int(label)}  h = {features}  score = {score:+.2f}"
        )
    separated = bool(np.array_equal(scores > 0, y[:, 0] > 0.5))
    if separated:
        print("  Positive scores are exactly the XOR-true points: in h-space one line splits them.")
    else:
        print("  The scores do not split the classes yet: this network has not solved XOR.")
    return separated


def part_xor(ms: Milestone, steps: int) -> nn.Module:
    print(f"Part 1: XOR with one hidden layer, {SEEDS} seeds, {steps} gradient steps each")
    x, y = xor_points()
    solved, loss_drops, grad_norms, seconds = [], [], [], 0.0
    for seed in range(ms.args.seed, ms.args.seed + SEEDS):
        manual_seed(seed)
        model = mlp()
        started = time.perf_counter()
        losses, first_grads = train(model, x, y, steps, XOR_LR, ms)
        seconds += time.perf_counter() - started
        acc = accuracy(model, x, y)
        solved.append(acc == 1.0)
        loss_drops.append(1 - losses[-1] / losses[0])
        grad_norms.extend(first_grads.values())
        print(f"  seed {seed}: loss {losses[0]:.3f} -> {losses[-1]:.4f}, accuracy {acc:.0%}")
        if seed == ms.args.seed:
            for step, loss in enumerate(losses):
                ms.log("xor loss (first seed)", step, loss)
            first_model = model
    show_hidden_features(first_model, x, y)
    ms.record("xor_seeds_solved", float(np.mean(solved)))
    ms.record("xor_min_loss_drop", min(loss_drops))
    ms.record("xor_min_grad_norm", min(grad_norms))
    ms.facts(model_or_params=first_model, train_seconds=seconds, samples=SEEDS * steps * len(x))
    return first_model


def part_cloud(ms: Milestone, steps: int) -> None:
    rng = ms.rng
    x, y = xor_cloud(rng, 600)
    x_train, y_train, x_test, y_test = x[:400], y[:400], x[400:], y[400:]
    print(f"Part 2: a noisy XOR cloud, {len(x_train)} training and {len(x_test)} held-out points")
    manual_seed(ms.args.seed)
    model = mlp(hidden=8)
    losses, _ = train(model, x_train, y_train, steps, CLOUD_LR, ms)
    for step, loss in enumerate(losses):
        ms.log("noisy xor loss", step, loss)
    test_acc = accuracy(model, x_test, y_test)
    print(f"  loss {losses[0]:.3f} -> {losses[-1]:.3f}; held-out accuracy {test_acc:.1%}")
    ms.record("noisy_xor_test_accuracy", test_acc)
    cloud = ms.figure(
        "cloud", f"Noisy XOR: {test_acc:.0%} of held-out points on the right side",
        caption="The hidden layer bends the boundary around the four clusters; points the "
        "noise pushed across it are circled.")
    cloud.panel("held-out points", "x1", "x2").decision_boundary(
        probability(model), x_test, y_test)


def part_linear_stack(ms: Milestone, steps: int) -> dict[str, nn.Module]:
    """Part 3: the network without Tanh, and a single layer; both are one line. Returns both."""
    print("Part 3: the same network without Tanh: Linear(2, 4) -> Linear(4, 1) -> Sigmoid")
    x, y = xor_points()
    manual_seed(ms.args.seed)
    model = mlp(activation=False)
    losses, _ = train(model, x, y, steps, XOR_LR, ms)
    acc = accuracy(model, x, y)
    print(f"  loss {losses[0]:.3f} -> {losses[-1]:.3f}; XOR accuracy {acc:.0%}")
    print("  W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2): still one line, like the perceptron.")
    ms.record("linear_stack_xor_accuracy", acc)
    manual_seed(ms.args.seed)
    perceptron = single_layer()
    perceptron_losses, _ = train(perceptron, x, y, steps, XOR_LR)
    print(f"  a single layer, Linear(2, 1) -> Sigmoid: XOR accuracy "
          f"{accuracy(perceptron, x, y):.0%}")
    for step, (stack_loss, single_loss) in enumerate(zip(losses, perceptron_losses, strict=True)):
        ms.log("linear stack xor loss", step, stack_loss)
        ms.log("single layer xor loss", step, single_loss)
    return {"single layer": perceptron, "linear stack": model}


def draw_crisis(ms: Milestone, solved: nn.Module, linear: dict[str, nn.Module]) -> None:
    """1969 next to 1986: the boundaries on the four XOR points, and the three losses."""
    x, y = xor_points()
    crisis = ms.figure(
        "crisis", "XOR: one line is not enough (1969), a hidden layer is (1986)",
        caption="Colour is P(XOR = 1), the black line is P = 0.5, circled points are wrong. "
        "Without a nonlinearity two layers are still one line.")
    panels = (
        ("one layer: Linear(2, 1)", linear["single layer"]),
        ("two layers, no Tanh: one line", linear["linear stack"]),
        ("hidden layer of 4 Tanh units", solved),
    )
    for title, model in panels:
        crisis.panel(title, "x1", "x2").decision_boundary(
            probability(model), x, y, bounds=(-0.5, 1.5, -0.5, 1.5))
    loss = ms.figure(
        "loss", "XOR training loss: only the hidden layer gets below ln 2",
        xlabel="gradient step", ylabel="BCE loss (nats)")
    loss.line("hidden layer (Tanh)", *ms.curve("xor loss (first seed)"))
    loss.line("two layers, no Tanh", *ms.curve("linear stack xor loss"))
    loss.line("one layer", *ms.curve("single layer xor loss"), linestyle=":")
    loss.hline(np.log(2), "ln 2 = always 0.5")
    loss.ylim(0)


def preflight(ms: Milestone) -> None:
    """Before training: the network's gradients on the four points agree with finite differences."""
    manual_seed(ms.args.seed)  # every part below seeds itself again
    model, (x, y) = mlp(), xor_points()
    inputs, targets = Tensor(x, dtype=np.float64), Tensor(y, dtype=np.float64)
    ms.preflight(lambda: nn.BCELoss()(model(inputs), targets), model=model)


def main() -> int:
    ms = Milestone.from_script(__file__, description=__doc__.splitlines()[0])
    steps = ms.epochs(full=3000, quick=1000)
    preflight(ms)
    solved = part_xor(ms, steps)
    part_cloud(ms, steps)
    linear = part_linear_stack(ms, steps)
    draw_crisis(ms, solved, linear)
    return ms.finish()


if __name__ == "__main__":
    sys.exit(main())
