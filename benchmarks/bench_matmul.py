"""The ceiling: a float32 matmul 1024x1024 @ 1024x1024 in NumPy (BLAS) and in PyTorch.

Convolution by im2col is matrix products plus memory traffic, so the best a
convolution step can do is the matmul's rate. ``run.py`` divides each case's
``FLOPS`` by its time and compares the result with this case, measured in the
same run at the same number of threads.
"""

from __future__ import annotations

import numpy as np
from harness import Case

SIZE = 1024
CEILING_NAME = f"float32 matmul {SIZE}x{SIZE} @ {SIZE}x{SIZE} (the GFLOP/s ceiling)"
FLOPS = {CEILING_NAME: 2.0 * SIZE**3}
"""Case name -> floating-point operations per call."""


def cases() -> list[Case]:
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((SIZE, SIZE)).astype(np.float32) for _ in range(2))
    steps = {"numpy": lambda: a @ b}
    try:
        import torch
    except ImportError:
        pass
    else:
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        steps["torch"] = lambda: ta @ tb
    return [Case(CEILING_NAME, steps, baseline="numpy", note="BLAS sgemm; no autograd")]
