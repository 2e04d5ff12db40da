"""The library's fused kernels against the same math composed of Tensor ops (issue 18).

Each case is one forward and backward (of the output's sum) of one kernel, in
float32, two ways and a third where PyTorch is installed:

- ``tinytorch composed``: the chain of Tensor ops in
  ``tinytorch.systems.acceleration`` (``gelu_unfused``, ``layer_norm_unfused``,
  ``softmax_cross_entropy_unfused``, ``attention_unfused``): one graph node and
  one temporary array per step;
- ``tinytorch fused``: the library's one ``Function`` for it (tt-nn's
  ``gelu(approximate="tanh")`` and ``cross_entropy``, tt-attention's
  ``layer_norm`` and ``scaled_dot_product_attention``), the same inputs;
- ``torch``: ``torch.nn.functional``'s kernel, when PyTorch is installed.

The ratios are against the composed version: below 1 is what fusing buys.
``tinytorch.systems.acceleration.fused_kernel_comparisons`` builds the two
tinytorch steps (milestone 06 reports the same comparisons); the tests of
tt-systems check that each composition equals its fused kernel.
"""

from __future__ import annotations

import numpy as np
from harness import Case
from tinytorch.systems.acceleration import _train_step, fused_kernel_comparisons


def _torch_steps(seed: int = 0) -> dict:
    """name -> a torch step on tensors of the same shapes (one thread)."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    rng = np.random.default_rng(seed)

    def leaf(*shape):
        return torch.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)

    h, gamma, beta = leaf(64, 256), leaf(256), leaf(256)
    logits, labels = leaf(256, 10), torch.from_numpy(rng.integers(0, 10, 256))
    q, k, v = leaf(4, 64, 32), leaf(4, 64, 32), leaf(4, 64, 32)

    # acceleration's _train_step works on torch tensors too (t.grad = None; fn().sum().backward())
    return {
        "GELU": _train_step(lambda: F.gelu(h, approximate="tanh"), h),
        "LayerNorm": _train_step(lambda: F.layer_norm(h, (256,), gamma, beta), h, gamma, beta),
        "softmax-CE": _train_step(lambda: F.cross_entropy(logits, labels), logits),
        "attention": _train_step(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                                 q, k, v),
    }


def cases() -> list[Case]:
    try:
        torch_steps = _torch_steps()
    except ImportError:
        torch_steps = {}
    result = []
    for name, composed, fused in fused_kernel_comparisons():
        steps = {"tinytorch composed": composed, "tinytorch fused": fused}
        if name.split()[0] in torch_steps:
            steps["torch"] = torch_steps[name.split()[0]]
        result.append(Case(f"fused kernel: {name}", steps, baseline="tinytorch composed",
                           note="ratio < 1: the fused Function is faster than the composition"))
    return result
