"""Milestone 03, full size: the MLP on the full MNIST (28x28 IDX files you bring).

The same network and training loop as mlp_digits.py, on the official
60,000 / 10,000 split:

    x (1, 28, 28) -> Flatten -> Linear(784, 256) -> ReLU -> Linear(256, 128) -> ReLU
                  -> Linear(128, 10),
    Adam lr 1e-3 annealed to 0 by a cosine schedule (stepped every batch), batch 128, 10 epochs.

No package ships the full MNIST here: put the four official IDX files
(train-images-idx3-ubyte.gz, ...) in a folder and pass it with --data-dir.
Without them the script says where it looked and exits with code 2;
it never substitutes other data. --quick trains 2 epochs on 20,000 images.
mlp_fashion_mnist.py runs the same code on Fashion-MNIST (the same file format).

Run:  python milestones/03_1986_mlp_revival/mlp_mnist.py --data-dir ~/data/mnist [--quick]
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from mlp_digits import DIGITS, train_mlp
from tinytorch import optim
from tinytorch.optim.datasets import DatasetNotFoundError, load_mnist
from tinytorch.optim.lr_scheduler import CosineAnnealingLR
from ttdev.milestone import Milestone

HIDDEN = (256, 128)
BATCH = 128
LR = 1e-3
QUICK_TRAIN_SIZE = 20_000


def quick_subset(data, size: int, seed: int):
    """A seeded random ``size`` of the training images (the test set stays whole)."""
    (x_train, y_train), test = data
    keep = np.random.default_rng(seed).permutation(len(x_train))[:size]
    return (x_train[keep], y_train[keep]), test


def run(script_file: str, name: str, title: str, load, class_names=DIGITS) -> int:
    """Load the data with ``load(data_dir)``, train, check the bars; 2 when the data is missing."""
    ms = Milestone.from_script(script_file, description=title)
    try:
        data = load(ms.args.data_dir)
    except DatasetNotFoundError as missing:
        print(f"Cannot run {Path(script_file).name}: {missing}", file=sys.stderr)
        return 2
    if ms.args.quick:
        data = quick_subset(data, QUICK_TRAIN_SIZE, ms.args.seed)
    epochs = ms.epochs(full=10, quick=2)
    steps = epochs * math.ceil(len(data[0][0]) / BATCH)
    print(
        f"{title}: {len(data[0][0]):,} train / {len(data[1][0]):,} test, MLP 784-256-128-10, "
        f"Adam lr {LR} with cosine decay over {steps} steps, batch {BATCH}, {epochs} epochs"
    )
    model, trainer = train_mlp(
        ms,
        name,
        data,
        HIDDEN,
        lambda params: optim.Adam(params, lr=LR),
        BATCH,
        epochs,
        scheduler=lambda optimizer: CosineAnnealingLR(optimizer, T_max=steps),
        class_names=class_names,
        title=title,
    )
    ms.facts(model_or_params=model, seconds_per_epoch=float(np.mean(trainer.history["seconds"])))
    return ms.finish()


if __name__ == "__main__":
    sys.exit(run(__file__, "mnist", "MNIST, full", load_mnist))
