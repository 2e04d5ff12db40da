"""Milestone 04, on natural images: ResNet-8 with BatchNorm on CIFAR-10.

The digits of 1998 are black strokes on white. CIFAR-10 (Krizhevsky, 2009) is
32x32 colour photographs of ten kinds of objects. The convolutional recipe
still works, helped by three later ideas: batch normalization (Ioffe and
Szegedy, 2015), residual connections (He et al., 2016) and global average
pooling in place of a large fully connected head (Lin et al., 2014).

The model is ResNet-8, the CIFAR-10 reference model of the MLPerf Tiny
benchmark (Banbury et al., "MLPerf Tiny Benchmark", NeurIPS Datasets and
Benchmarks 2021; github.com/mlcommons/tiny, v0.5/training/image_classification),
built for small CPUs: 78k parameters, about 12.5 M multiply-adds per image.
Its published accuracy on the official 10,000 test images is about 87%, and
the benchmark's quality target for it is 85% top-1.

    x (3, 32, 32) -> Conv2d(3, 16, 3) -> BN -> ReLU                      16 x 32 x 32
      -> BasicBlock(16 -> 16, stride 1)                                  16 x 32 x 32
      -> BasicBlock(16 -> 32, stride 2, 1x1 conv shortcut)               32 x 16 x 16
      -> BasicBlock(32 -> 64, stride 2, 1x1 conv shortcut)               64 x 8 x 8
      -> global average pool -> Linear(64, 10)
    BasicBlock: relu(BN(conv3x3(relu(BN(conv3x3(x))))) + shortcut(x))

The recipe (RECIPE below) is a short-budget one: MLPerf Tiny trains 500
epochs with Adam; here 10 epochs of SGD (Nesterov momentum 0.9, weight decay
5e-4, batch 64) under the 1cycle schedule (Smith and Topin, "Super-Convergence",
2019: warm up to lr 0.1 over the first quarter, then anneal linearly towards
zero), with random crops of the zero-padded image and horizontal flips. The
full run's 75% has not been measured here (the full set is not reachable from
the project's machines). tests/test_cifar_torch_subset.py trains this recipe
on a real subset of the official batches (5,085 train / 1,017 test images,
schedule stretched to 15 epochs) in tinytorch and, in lockstep, in PyTorch
with the same weights, batches and schedule: it asks for 60% on every seed
and PyTorch within 2 points of tinytorch. Measured (seeds 0, 1, 2): tinytorch
66.96%, 65.09%, 66.18% (mean 66.1%), PyTorch 65.88%, 65.98%, 65.39% (mean
65.8%); no collapse, last-epoch losses 0.90 in both.

Budget: 10 epochs of 50,000 images. Measured on the project's 2-core machine
at one BLAS thread (load average about 3): 161 s of training per epoch and
about 13 s to test 10,000 images, so about 29 minutes in all. On a busy
machine it is slower: with other jobs on both cores an epoch took 330 s.

`--epochs N` runs N epochs; the schedule keeps the recipe's length (so a
shorter run is exactly the beginning of the full one, its lr not yet
annealed), unless N is longer, in which case the schedule is stretched to N.

CIFAR-10 is not shipped by any package: pass the folder holding
``cifar-10-batches-py`` as ``--data-dir``. Without it the script says where it
looked and exits with code 2. Only the official 50,000 / 10,000 images give a
"CIFAR-10 test accuracy"; any other count (a subset, generated data) is
reported as what it is, and the ``read_official_cifar10`` bar fails.

Run:  python milestones/04_1998_cnn_revolution/lecun_cifar10.py --data-dir DIR [--quick]
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
from cnn_training import accuracy
from tinytorch import nn, optim
from tinytorch.optim import ArrayDataset, DataLoader
from tinytorch.optim.data.transforms import Compose, RandomCrop, RandomHorizontalFlip
from tinytorch.optim.datasets import (
    CIFAR10_IMAGES_PER_BATCH,
    DatasetNotFoundError,
    load_cifar10,
)
from tinytorch.spatial import AdaptiveAvgPool2d, BatchNorm2d, Conv2d
from tinytorch.tensor import manual_seed
from ttdev.milestone import Milestone

RECIPE = {
    "name": "ResNet-8 (MLPerf Tiny) + SGD-Nesterov 1cycle",
    "epochs": 10,
    "quick_epochs": 2,
    "batch_size": 64,
    "max_lr": 0.1,
    "pct_start": 0.25,
    "momentum": 0.9,
    "weight_decay": 5e-4,
}
OFFICIAL_TRAIN, OFFICIAL_TEST = 5 * CIFAR10_IMAGES_PER_BATCH, CIFAR10_IMAGES_PER_BATCH
# Per-channel mean and standard deviation of the official 50,000 training images.
CIFAR10_MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32).reshape(1, 3, 1, 1)
CIFAR10_STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32).reshape(1, 3, 1, 1)
CHANCE_LOSS = math.log(10)  # the cross-entropy of a uniform guess over ten classes


def describe_recipe(recipe: dict = RECIPE) -> str:
    return (f"{recipe['name']}: {recipe['epochs']} epochs, batch {recipe['batch_size']}, "
            f"SGD momentum {recipe['momentum']} (Nesterov), weight decay "
            f"{recipe['weight_decay']:g}, OneCycleLR to {recipe['max_lr']:g} "
            f"(warm-up {recipe['pct_start']:.0%}, linear anneal), crop (pad 4) + flip")


class BasicBlock(nn.Module):
    """relu(BN(conv(relu(BN(conv(x))))) + shortcut(x)), He et al.'s residual block.

    With ``stride`` 2 (or a change of width) the shortcut is a strided 1x1
    convolution, so that it matches the block's output shape.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = BatchNorm2d(out_channels)
        self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = BatchNorm2d(out_channels)
        self.relu = nn.ReLU()
        same_shape = stride == 1 and in_channels == out_channels
        self.shortcut = None if same_shape else Conv2d(in_channels, out_channels, 1,
                                                       stride=stride, bias=False)

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.shortcut is None else self.shortcut(x)))


def resnet8(width: int = 16) -> nn.Sequential:
    """MLPerf Tiny's ResNet-8: a stem and three residual blocks of 16, 32, 64 channels."""
    return nn.Sequential(
        Conv2d(3, width, 3, padding=1, bias=False), BatchNorm2d(width), nn.ReLU(),
        BasicBlock(width, width), BasicBlock(width, 2 * width, stride=2),
        BasicBlock(2 * width, 4 * width, stride=2),
        AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * width, 10),
    )


def standardize(images: np.ndarray) -> np.ndarray:
    """(x - mean) / std per channel, with the official training set's statistics."""
    return (images - CIFAR10_MEAN) / CIFAR10_STD


def make_loader(images: np.ndarray, labels: np.ndarray, seed: int, batch_size: int):
    """Shuffled, augmented batches: a random 32x32 crop of the image padded by 4, and a flip."""
    augment = Compose([RandomCrop(32, padding=4, seed=seed),
                       RandomHorizontalFlip(seed=seed + 1)])
    return DataLoader(ArrayDataset(images, labels, transform=augment), batch_size=batch_size,
                      shuffle=True, seed=seed)


def make_optimizer(params, recipe: dict = RECIPE) -> optim.SGD:
    return optim.SGD(params, lr=recipe["max_lr"], momentum=recipe["momentum"], nesterov=True,
                     weight_decay=recipe["weight_decay"])


def make_schedule(optimizer, total_steps: int, recipe: dict = RECIPE):
    """1cycle over ``total_steps`` batches, stepped once per batch."""
    return optim.lr_scheduler.OneCycleLR(optimizer, max_lr=recipe["max_lr"],
                                         total_steps=total_steps, pct_start=recipe["pct_start"],
                                         anneal_strategy="linear")


def schedule_epochs(run_epochs: int, recipe_epochs: int) -> int:
    """The schedule's length: the recipe's, or the run's when the run is longer."""
    return max(run_epochs, recipe_epochs)


def train_epoch(model, loader, optimizer, schedule, loss_fn, display):
    """One pass, the schedule stepped per batch. Mean loss, the accuracy on the
    (augmented) batches as they were trained, and the lr of the last step.

    ``display`` (the run's one progress display) is advanced over the batches and
    shown the running loss and accuracy.
    """
    total_loss, correct, seen, lr = 0.0, 0, 0, 0.0
    for images, labels in display(loader):
        optimizer.zero_grad()
        logits = model(images)
        loss = loss_fn(logits, labels)
        loss.backward()
        lr = optimizer.param_groups[0]["lr"]
        optimizer.step()
        schedule.step()
        total_loss += loss.item() * len(labels.data)
        correct += int((logits.data.argmax(axis=1) == labels.data).sum())
        seen += len(labels.data)
        display.set_postfix(loss=f"{total_loss / seen:.3f}", acc=f"{correct / seen:.3f}")
    return total_loss / seen, correct / seen, lr


def describe_counts(n_train: int, n_test: int) -> tuple[bool, str]:
    """Whether the official split was read, and a sentence saying what was read."""
    official = (n_train, n_test) == (OFFICIAL_TRAIN, OFFICIAL_TEST)
    read = f"read {n_train:,} training and {n_test:,} test images"
    if official:
        return True, f"{read}: the official CIFAR-10 split"
    return False, (f"{read}: NOT the official CIFAR-10 split ({OFFICIAL_TRAIN:,} / "
                   f"{OFFICIAL_TEST:,}), so the result is not CIFAR-10 test accuracy "
                   f"and the read_official_cifar10 bar fails")


def main() -> int:
    ms = Milestone.from_script(__file__, description=__doc__.splitlines()[0])
    try:
        (x_train, y_train), (x_test, y_test) = load_cifar10(ms.args.data_dir,
                                                            images_per_batch=None)
    except DatasetNotFoundError as missing:
        print(f"CIFAR-10 is not available, so nothing was trained:\n{missing}", file=sys.stderr)
        return 2  # as the other scripts that need data: no results file for a run that never ran
    official, counts = describe_counts(len(x_train), len(x_test))
    print(f"CIFAR-10 folder {ms.args.data_dir}: {counts}")
    if ms.args.quick:
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]
        official = False
        print(f"--quick: training on the first {len(x_train):,}, testing on the first "
              f"{len(x_test):,} of those")
    x_train, x_test = standardize(x_train), standardize(x_test)
    recipe_epochs = ms.budget(RECIPE["epochs"], RECIPE["quick_epochs"])
    epochs = ms.epochs(full=recipe_epochs, quick=recipe_epochs)
    manual_seed(ms.args.seed)
    loader = make_loader(x_train, y_train, ms.args.seed, RECIPE["batch_size"])
    model = resnet8()
    optimizer = make_optimizer(model.parameters())
    length = schedule_epochs(epochs, recipe_epochs)
    schedule = make_schedule(optimizer, length * len(loader))
    loss_fn = nn.CrossEntropyLoss()
    print(f"recipe: {describe_recipe()}; {model.num_parameters():,} parameters")
    print(f"running {epochs} epoch(s) of a {length}-epoch schedule"
          + (" (the beginning of the full run: the lr is not annealed yet)"
             if epochs < length else ""))
    losses, seconds, test_acc = [], [], accuracy(model, x_test, y_test)
    display = ms.progress(desc="resnet8", total=epochs * len(loader))  # one for the whole run
    for epoch in range(epochs):
        started = time.perf_counter()
        display.set_description(f"resnet8 epoch {epoch + 1}/{epochs}")
        loss, train_acc, lr = train_epoch(model, loader, optimizer, schedule, loss_fn, display)
        seconds.append(time.perf_counter() - started)
        losses.append(loss)
        test_acc = accuracy(model, x_test, y_test)
        for name, value in [("train_loss", loss), ("train_accuracy", train_acc),
                            ("test_accuracy", test_acc)]:
            ms.log(name, epoch + 1, value)
        print(f"  epoch {epoch + 1}/{epochs}: loss {loss:.3f}, train acc {train_acc:.2%}, "
              f"test acc {test_acc:.2%}, last lr {lr:.4f}, "
              f"{seconds[-1]:.1f} s/epoch", flush=True)
    display.close()
    name = ("CIFAR-10 test accuracy (the official 10,000 test images)" if official
            else f"test accuracy on the {len(x_test):,} test images read (not CIFAR-10 test "
                 f"accuracy)")
    print(f"{name}: {test_acc:.2%}")
    ms.record("test_accuracy", test_acc)
    ms.record("read_official_cifar10", float(official))
    ms.record("train_loss_vs_chance", losses[-1] / CHANCE_LOSS)
    ms.facts(model_or_params=model, train_seconds=sum(seconds), samples=epochs * len(x_train),
             seconds_per_epoch=sum(seconds) / max(epochs, 1), train_images=len(x_train),
             test_images=len(x_test))
    return ms.finish()


if __name__ == "__main__":
    sys.exit(main())
