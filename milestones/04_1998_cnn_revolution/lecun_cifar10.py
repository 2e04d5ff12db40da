"""Milestone 04, on natural images: a LeNet-style CNN with BatchNorm on CIFAR-10.

The digits of 1998 are black strokes on white. CIFAR-10 (Krizhevsky, 2009) is
32x32 colour photographs of ten kinds of objects: the same conv-pool recipe
works, helped by two later ideas, batch normalization (Ioffe and Szegedy,
2015) and data augmentation (random crops of a padded image, horizontal flips).

    x (3, 32, 32) -> [Conv2d(3, 32, 3, p1) -> BatchNorm2d -> ReLU -> MaxPool2d(2)]
                  -> [Conv2d(32, 64, 3, p1) -> BatchNorm2d -> ReLU -> MaxPool2d(2)]
                  -> Flatten -> Linear(4096, 10)

Recipe aimed at 75% test accuracy: SGD momentum 0.9, lr 0.05 cosine-annealed,
weight decay 5e-4, batch 64, 15 epochs. CIFAR-10 is not shipped by any
package: pass the folder holding ``cifar-10-batches-py`` as ``--data-dir``. Without it
the script says where it looked and how to get it, and exits with code 2.

Run:  python milestones/04_1998_cnn_revolution/lecun_cifar10.py --data-dir DIR [--quick]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from cnn_training import accuracy, train_epoch  # noqa: E402
from common import Milestone  # noqa: E402
from tinytorch import nn, optim  # noqa: E402
from tinytorch.optim import ArrayDataset, DataLoader  # noqa: E402
from tinytorch.optim.data.transforms import Compose, RandomCrop, RandomHorizontalFlip  # noqa: E402
from tinytorch.optim.datasets import DatasetNotFoundError, load_cifar10  # noqa: E402
from tinytorch.spatial import BatchNorm2d, Conv2d, MaxPool2d  # noqa: E402
from tinytorch.tensor import manual_seed  # noqa: E402

BATCH = 64
LR = 0.05


def stage(c_in: int, c_out: int) -> list[nn.Module]:
    """Conv -> BatchNorm -> ReLU -> MaxPool: one LeNet stage, halving the image."""
    return [Conv2d(c_in, c_out, 3, padding=1, bias=False), BatchNorm2d(c_out), nn.ReLU(),
            MaxPool2d(2)]


def lenet_cifar() -> nn.Sequential:
    return nn.Sequential(*stage(3, 32), *stage(32, 64), nn.Flatten(), nn.Linear(64 * 8 * 8, 10))


def main() -> int:
    ms = Milestone.from_script(__file__, description=__doc__.splitlines()[0])
    try:
        (x_train, y_train), (x_test, y_test) = load_cifar10(ms.args.data_dir, images_per_batch=None)
    except DatasetNotFoundError as missing:
        print(f"CIFAR-10 is not available, so nothing was trained:\n{missing}", file=sys.stderr)
        return 2  # as the other scripts that need data: no results file for a run that never ran
    if ms.args.quick:
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]
    epochs = ms.epochs(full=15, quick=1)
    manual_seed(ms.args.seed)
    augment = Compose([RandomCrop(32, padding=4, seed=ms.args.seed),
                       RandomHorizontalFlip(seed=ms.args.seed + 1)])
    loader = DataLoader(ArrayDataset(x_train, y_train, transform=augment), batch_size=BATCH,
                        shuffle=True, seed=ms.args.seed)
    model = lenet_cifar()
    optimizer = optim.SGD(model.parameters(), lr=LR, momentum=0.9, weight_decay=5e-4)
    schedule = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(epochs, 1))
    loss_fn = nn.CrossEntropyLoss()
    print(f"CIFAR-10: {len(x_train)} train / {len(x_test)} test, {epochs} epochs, "
          f"{model.num_parameters():,} parameters")
    losses, seconds = [], []
    for epoch in range(epochs):
        started = time.perf_counter()
        progress = lambda it, e=epoch: ms.progress(it, desc=f"epoch {e + 1}/{epochs}")  # noqa: E731
        losses.append(train_epoch(model, loader, optimizer, loss_fn, progress))
        seconds.append(time.perf_counter() - started)
        schedule.step()
        ms.log("train_loss", epoch + 1, losses[-1])
        print(f"  epoch {epoch + 1}: loss {losses[-1]:.3f}, {seconds[-1]:.1f} s/epoch")
    ms.record("cifar10_test_accuracy", accuracy(model, x_test, y_test))
    ms.record("cifar10_loss_decrease", 1 - losses[-1] / losses[0] if len(losses) > 1 else 0.0)
    ms.facts(model_or_params=model, train_seconds=sum(seconds), samples=epochs * len(x_train),
             seconds_per_epoch=sum(seconds) / max(epochs, 1))
    return ms.finish()


if __name__ == "__main__":
    sys.exit(main())
