"""CNN training steps and the convolution itself, built from tt-spatial (issue 5).

One step is zero_grad, forward, cross-entropy, backward and an SGD update on a
fixed batch, from the same float32 weights, in:

- ``tinytorch``: tt-spatial's modules (the im2col convolution students write,
  ReLU, MaxPool2d) and tt-nn;
- ``tinytorch fused``: the same model after
  ``tinytorch.systems.acceleration.fuse_conv_relu_maxpool``, which runs each
  Conv2d-ReLU-MaxPool2d(2) as one kernel (chunked, flat-grid im2col; its
  tests gradcheck it and compare it with the readable path); skipped, with a
  note, where that kernel is not written yet (a student starter);
- ``torch``: ``torch.nn`` with the same weights, when PyTorch is installed.

The cases:

- small: Conv(1,8,3)-ReLU-MaxPool(2)-Flatten-Linear on 1x28x28, batch 64
  (target: at most 0.6x PyTorch);
- two-conv: Conv(3,32,3,p1)-ReLU-Pool-Conv(32,64,3,p1)-ReLU-Pool-Linear on
  3x32x32, batch 64 (issue 17 asks for at most 1.0x PyTorch);
- Conv2d(3, 32, 3) forward + backward alone, batch 64, against PyTorch; and
  at batch 1 against ``conv2d_naive`` (the teaching loops; batch 1 because
  they take about half a second per image; the loops' cost is linear in the
  batch, so multiply by 64 to compare with the batch-64 case).

There is no hand-written NumPy baseline here: a complete NumPy convolution
and pooling backward is tt-spatial's exercise, and this file ships in the
students' starter (issue 16). The floor to compare with is the float32
matmul ceiling instead.

Before anything is timed, the implementations must agree: the model steps on
their first three losses (``check_same_losses``), the convolutions on their
output and gradients (``check_same_conv``). ``FLOPS`` gives each case's
multiply-add work (every convolution and Linear, forward and backward, counted
as the matrix products of im2col), so ``run.py`` reports achieved GFLOP/s
against the float32 matmul ceiling measured in the same run (``bench_matmul``).
"""

from __future__ import annotations

import numpy as np
from harness import Case
from mlp_reference import check_same_losses
from sgd_step import module_step
from tinytorch import nn
from tinytorch.spatial import Conv2d, MaxPool2d
from tinytorch.spatial import functional as F
from tinytorch.tensor import Tensor, manual_seed

BATCH = 64
LR = 0.01
SMALL = {"input": (1, 28, 28), "convs": [(1, 8, 0)], "features": 8 * 13 * 13}
TWO_CONV = {"input": (3, 32, 32), "convs": [(3, 32, 1), (32, 64, 1)], "features": 64 * 8 * 8}


def _data(spec):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, *spec["input"])).astype(np.float32)
    return x, rng.integers(0, 10, BATCH)


def _tinytorch_model(spec) -> nn.Sequential:
    layers = []
    for c_in, c_out, padding in spec["convs"]:
        layers += [Conv2d(c_in, c_out, 3, padding=padding), nn.ReLU(), MaxPool2d(2)]
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(spec["features"], 10))


def _weights(spec) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of every conv and of the final Linear, the same at every call."""
    manual_seed(0)  # each version calls this: without the seed each would get other weights
    model = _tinytorch_model(spec)
    learned = [m for m in model if isinstance(m, (Conv2d, nn.Linear))]
    return [(m.weight.data.copy(), m.bias.data.copy()) for m in learned]


def tinytorch_step(spec, fused: bool = False):
    """The tinytorch step; ``fused`` runs it on ``fuse_conv_relu_maxpool(model)`` (same weights)."""
    x_np, y = _data(spec)
    x, model, loss_fn = Tensor(x_np), _tinytorch_model(spec), nn.CrossEntropyLoss()
    learned = [m for m in model if isinstance(m, (Conv2d, nn.Linear))]
    for layer, (w, b) in zip(learned, _weights(spec), strict=True):
        layer.weight.data[...], layer.bias.data[...] = w, b
    if fused:
        from tinytorch.systems.acceleration import fuse_conv_relu_maxpool

        model = fuse_conv_relu_maxpool(model)
    return module_step(model, loss_fn, x, y, LR)


def fused_step_or_none(spec):
    """The ``tinytorch fused`` step, or None (with a note) where the kernel is still a stub."""
    step = tinytorch_step(spec, fused=True)
    try:
        step()
    except NotImplementedError as error:
        print(f"skipping 'tinytorch fused': {str(error).splitlines()[0]}")
        return None
    return tinytorch_step(spec, fused=True)  # a fresh one: the probe took a step


# ---------------------------------------------------------------- PyTorch


def torch_step(spec):
    import torch

    torch.set_num_threads(1)
    x_np, y_np = _data(spec)
    x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)
    layers = []
    for c_in, c_out, padding in spec["convs"]:
        layers += [torch.nn.Conv2d(c_in, c_out, 3, padding=padding), torch.nn.ReLU(),
                   torch.nn.MaxPool2d(2)]
    model = torch.nn.Sequential(*layers, torch.nn.Flatten(), torch.nn.Linear(spec["features"], 10))
    learned = [m for m in model if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    with torch.no_grad():
        for layer, (w, b) in zip(learned, _weights(spec), strict=True):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    loss_fn, params = torch.nn.CrossEntropyLoss(), list(model.parameters())

    def step():
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.detach()

    return step


# ---------------------------------------------------------------- the convolution alone


def conv_steps(batch: int, with_naive: bool) -> dict:
    """Conv2d(3, 32, 3) forward + backward (input and weight gradients) three ways.

    Every step returns (output, input gradient, weight gradient) as arrays, from
    the same input, weights and output gradient.
    """
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((batch, 3, 32, 32)).astype(np.float32)
    manual_seed(1)
    layer = Conv2d(3, 32, 3)
    w, b = layer.weight.data, layer.bias.data
    x = Tensor(x_np, requires_grad=True)
    grad_out = np.ones((batch, 32, 30, 30), np.float32)

    def tinytorch():
        x.grad = layer.weight.grad = layer.bias.grad = None
        out = layer(x)
        out.backward(grad_out)
        return out.data, x.grad.data, layer.weight.grad.data

    steps = {"tinytorch": tinytorch}
    if with_naive:
        def naive():
            grad_x, grad_w, _ = F.conv2d_naive_backward(x_np, w, grad_out)
            return F.conv2d_naive(x_np, w, b), grad_x, grad_w

        steps["naive"] = naive
    try:
        import torch
    except ImportError:
        return steps
    torch.set_num_threads(1)
    tx = torch.from_numpy(x_np).requires_grad_(True)
    tconv = torch.nn.Conv2d(3, 32, 3)
    with torch.no_grad():
        tconv.weight.copy_(torch.from_numpy(w))
        tconv.bias.copy_(torch.from_numpy(b))
    tgrad = torch.from_numpy(grad_out)

    def torch_conv():
        tx.grad = None
        tconv.zero_grad()
        out = tconv(tx)
        out.backward(tgrad)
        return out.detach().numpy(), tx.grad.numpy(), tconv.weight.grad.numpy()

    steps["torch"] = torch_conv
    return steps


def check_same_conv(steps: dict, rtol: float = 1e-4) -> None:
    """Raise unless every step gives the tinytorch output and gradients.

    The gradients are float32 sums of up to 57,600 terms, summed in different
    orders, so the largest difference is measured against the largest value.
    """
    expected = steps["tinytorch"]()
    for name, step in steps.items():
        for what, got, want in zip(("output", "input gradient", "weight gradient"), step(),
                                   expected, strict=True):
            error = np.abs(got - want).max() / np.abs(want).max()
            if not error <= rtol:
                raise RuntimeError(f"conv {name} disagrees with tinytorch on the {what}: "
                                   f"largest difference {error:.2g} of the largest value")


# ---------------------------------------------------------------- the work, for GFLOP/s


def step_flops(spec) -> float:
    """Floating-point operations of one training step, counted as im2col's matrix products.

    Per convolution with L = H_out * W_out output pixels and K = C_in * 3 * 3:
    forward 2 N L C_out K, weight gradient the same, input gradient the same
    except for the first layer (its input needs no gradient); the Linear
    likewise (2 N F 10 each). Elementwise work (ReLU, pooling, bias, loss) is
    not counted: it is memory traffic, not arithmetic.
    """
    height = spec["input"][1]
    total = 0.0
    for index, (c_in, c_out, padding) in enumerate(spec["convs"]):
        out_hw = height + 2 * padding - 2
        product = 2.0 * BATCH * out_hw * out_hw * c_out * c_in * 9
        total += product * (2 if index == 0 else 3)
        height = out_hw // 2
    return total + 3 * 2.0 * BATCH * spec["features"] * 10


def conv_flops(batch: int) -> float:
    """Conv2d(3, 32, 3) on 32x32: forward, input gradient and weight gradient."""
    return 3 * 2.0 * batch * 30 * 30 * 32 * 27


# ---------------------------------------------------------------- the cases

SMALL_NAME = "CNN Conv(1,8,3)-ReLU-MaxPool(2)-Linear step, 1x28x28, batch 64"
TWO_CONV_NAME = "CNN Conv(3,32,3,p1)-Pool-Conv(32,64,3,p1)-Pool-Linear step, 3x32x32, batch 64"
CONV_NAME = "Conv2d(3,32,3) forward+backward, 64x3x32x32"
NAIVE_NAME = "Conv2d(3,32,3) forward+backward, 1x3x32x32: im2col vs naive loops"

FLOPS = {SMALL_NAME: step_flops(SMALL), TWO_CONV_NAME: step_flops(TWO_CONV),
         CONV_NAME: conv_flops(BATCH), NAIVE_NAME: conv_flops(1)}
"""Case name -> floating-point operations per call, for ``run.py``'s GFLOP/s column."""


def _model_steps(spec) -> dict:
    steps = {"tinytorch": tinytorch_step(spec)}
    fused = fused_step_or_none(spec)
    if fused is not None:
        steps["tinytorch fused"] = fused
    try:
        steps["torch"] = torch_step(spec)
    except ImportError:
        pass
    check_same_losses(steps)
    return steps


def _conv_steps(batch: int, with_naive: bool) -> dict:
    steps = conv_steps(batch, with_naive)
    check_same_conv(steps)
    return steps


def cases() -> list[Case]:
    small, two_conv = _model_steps(SMALL), _model_steps(TWO_CONV)
    baseline = "torch" if "torch" in small else "tinytorch"
    return [
        Case(SMALL_NAME, small, baseline=baseline, note="target: at most 0.6x PyTorch"),
        Case(TWO_CONV_NAME, two_conv, baseline=baseline,
             note="issue 17 asks for at most 1.0x PyTorch; 'tinytorch fused' is "
                  "acceleration.fuse_conv_relu_maxpool of the same model"),
        Case(CONV_NAME, _conv_steps(BATCH, False),
             baseline="torch" if "torch" in small else "tinytorch",
             note="im2col + one batched matmul; col2im as 9 strided adds"),
        Case(NAIVE_NAME, _conv_steps(1, True), baseline="tinytorch",
             note="batch 1 because the loops are slow; their cost grows linearly with the batch"),
    ]
