"""Milestone 04's CIFAR-10 model: a ResNet-8 training step, tinytorch against PyTorch.

The model of ``milestones/04_1998_cnn_revolution/lecun_cifar10.py`` (MLPerf
Tiny's ResNet-8: a 3x3 stem of 16 channels, three residual blocks of 16, 32
and 64 channels with BatchNorm, global average pooling, Linear(64, 10)),
written here once with tt-spatial and once with ``torch.nn``, from the same
weights. One step is zero_grad, forward, cross-entropy, backward and an SGD
update on a fixed batch of 64 CIFAR-shaped images; the two must report the
same first three losses before they are timed. An epoch of 50,000 images is
782 such steps (plus data loading and augmentation, which are not timed here).
"""

from __future__ import annotations

import numpy as np
from harness import Case
from sgd_step import module_step
from tinytorch import nn
from tinytorch.spatial import AdaptiveAvgPool2d, BatchNorm2d, Conv2d
from tinytorch.tensor import Tensor, manual_seed

BATCH, LR, WIDTH = 64, 0.01, 16
NAME = "CIFAR ResNet-8 (milestone 04) step, 3x32x32, batch 64"

# (C_in, C_out, kernel, stride, input size) of every convolution, in order
CONVS = [(3, 16, 3, 1, 32),
         (16, 16, 3, 1, 32), (16, 16, 3, 1, 32),
         (16, 32, 3, 2, 32), (32, 32, 3, 1, 16), (16, 32, 1, 2, 32),
         (32, 64, 3, 2, 16), (64, 64, 3, 1, 8), (32, 64, 1, 2, 16)]


def step_flops() -> float:
    """Matrix-product work of one step: forward, weight and input gradients (none for the stem)."""
    total = 0.0
    for index, (c_in, c_out, kernel, stride, size) in enumerate(CONVS):
        out = (size + 2 * (kernel // 2) - kernel) // stride + 1
        product = 2.0 * BATCH * out * out * c_out * c_in * kernel * kernel
        total += product * (2 if index == 0 else 3)
    return total + 3 * 2.0 * BATCH * 4 * WIDTH * 10


FLOPS = {NAME: step_flops()}
"""Case name -> floating-point operations per call, for ``run.py``'s GFLOP/s."""


class BasicBlock(nn.Module):
    """relu(BN(conv(relu(BN(conv(x))))) + shortcut(x)); a strided 1x1 conv shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = BatchNorm2d(c_out)
        self.conv2 = Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = BatchNorm2d(c_out)
        self.relu = nn.ReLU()
        same = stride == 1 and c_in == c_out
        self.shortcut = None if same else Conv2d(c_in, c_out, 1, stride=stride, bias=False)

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.shortcut is None else self.shortcut(x)))


def resnet8() -> nn.Sequential:
    return nn.Sequential(
        Conv2d(3, WIDTH, 3, padding=1, bias=False), BatchNorm2d(WIDTH), nn.ReLU(),
        BasicBlock(WIDTH, WIDTH), BasicBlock(WIDTH, 2 * WIDTH, 2),
        BasicBlock(2 * WIDTH, 4 * WIDTH, 2),
        AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * WIDTH, 10),
    )


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((BATCH, 3, 32, 32)).astype(np.float32), rng.integers(0, 10, BATCH)


def _tinytorch_model() -> nn.Sequential:
    manual_seed(0)
    return resnet8()


def tinytorch_step():
    x, y = _data()
    return module_step(_tinytorch_model(), nn.CrossEntropyLoss(), Tensor(x), y, LR)


def torch_step():
    """The same network in ``torch.nn`` with tinytorch's initial weights; ImportError without it."""
    import torch

    torch.set_num_threads(1)

    class TorchBlock(torch.nn.Module):
        def __init__(self, c_in, c_out, stride=1):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
            self.bn1 = torch.nn.BatchNorm2d(c_out)
            self.conv2 = torch.nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
            self.bn2 = torch.nn.BatchNorm2d(c_out)
            same = stride == 1 and c_in == c_out
            self.shortcut = None if same else torch.nn.Conv2d(c_in, c_out, 1, stride, bias=False)

        def forward(self, x):
            out = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
            return torch.relu(out + (x if self.shortcut is None else self.shortcut(x)))

    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, WIDTH, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(WIDTH),
        torch.nn.ReLU(), TorchBlock(WIDTH, WIDTH), TorchBlock(WIDTH, 2 * WIDTH, 2),
        TorchBlock(2 * WIDTH, 4 * WIDTH, 2), torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
        torch.nn.Linear(4 * WIDTH, 10),
    )
    params = list(model.parameters())
    with torch.no_grad():
        for theirs, ours in zip(params, _tinytorch_model().parameters(), strict=True):
            theirs.copy_(torch.from_numpy(ours.data.reshape(theirs.shape)))
    x_np, y_np = _data()
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.detach()

    return step


def check_same_losses(steps: dict, count: int = 3, rtol: float = 1e-4) -> None:
    """Raise unless every step reports the same first ``count`` losses (float32, BatchNorm)."""
    losses = {name: [float(step()) for _ in range(count)] for name, step in steps.items()}
    expected = losses["tinytorch"]
    if not all(np.allclose(got, expected, rtol=rtol, atol=0) for got in losses.values()):
        raise RuntimeError(f"the ResNet-8 steps disagree on their first {count} losses: {losses}")


def cases() -> list[Case]:
    steps = {"tinytorch": tinytorch_step()}
    try:
        steps["torch"] = torch_step()
    except ImportError:
        pass
    check_same_losses(steps)
    return [Case(NAME, steps, baseline="torch" if "torch" in steps else "tinytorch",
                 note="the CIFAR-10 milestone's model; an epoch is 782 such steps")]
