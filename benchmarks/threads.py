"""How many BLAS threads the benchmarks use: chosen on purpose, before NumPy loads, and reported.

The rule: **one thread**, unless ``--threads N`` asks for more. The machines
tinytorch is built on have two cores shared with other work; there a second
BLAS thread waits for a busy core, and measured epochs swung from 6 s to
196 s (issue 17), while one thread gives repeatable ratios. ``--threads N``
is for measuring threading itself on a machine you have to yourself.

OpenBLAS reads ``OPENBLAS_NUM_THREADS`` once, when NumPy is first imported,
so ``pin`` must run before that; ``in_force`` then asks the loaded libraries
(through threadpoolctl when it is installed) how many threads they really use.
"""

from __future__ import annotations

import os

VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def reason(count: int) -> str:
    """Why this many threads, with the machine's load as evidence."""
    cores = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    machine = f"{cores} cores, load average {load:.1f}"
    if count == 1:
        return f"one thread, the rule for shared cores ({machine}); --threads N to change"
    return f"{count} threads, asked for with --threads ({machine})"


def pin(count: int) -> None:
    """Set every BLAS thread variable to ``count``; call before NumPy is imported."""
    for name in VARIABLES:
        os.environ[name] = str(count)


def in_force(count: int) -> str:
    """Limit the loaded BLAS (and PyTorch) to ``count`` threads; describe what they report."""
    parts = []
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        parts.append(f"BLAS: {os.environ.get('OPENBLAS_NUM_THREADS')} thread(s) by "
                     "OPENBLAS_NUM_THREADS (pip install threadpoolctl to verify)")
    else:
        threadpool_limits(count)
        for pool in threadpool_info():
            parts.append(f"{pool['internal_api']} {pool.get('version') or ''}: "
                         f"{pool['num_threads']} thread(s)".replace(" :", ":"))
    try:
        import torch
    except ImportError:
        pass
    else:
        torch.set_num_threads(count)
        parts.append(f"PyTorch: {torch.get_num_threads()} thread(s)")
    return "; ".join(parts)
