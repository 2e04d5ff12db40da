"""How many BLAS threads a milestone script's matrix products use, chosen on purpose.

The rule: one thread, unless the user set ``OPENBLAS_NUM_THREADS`` (or
``OMP_NUM_THREADS``/``MKL_NUM_THREADS``) themselves. The project's machines
have two cores shared by several jobs; with two BLAS threads on such a machine
one CIFAR-10 epoch took anywhere from 6 s to 196 s, with one thread it is
steady. The nox sessions set the variables before Python starts. A script run
by hand has NumPy loaded already, so the rule is applied through threadpoolctl
when it is installed (scikit-learn brings it); without it the script says so.
Standard library only (threadpoolctl is optional).
"""

from __future__ import annotations

import os

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_limits = []  # keeps threadpoolctl's limit alive for the whole run


def user_choice() -> tuple[str, str] | None:
    """The first thread variable set in the environment and its value, or None."""
    for name in THREAD_VARIABLES:
        if os.environ.get(name):
            return name, os.environ[name]
    return None


def choose_blas_threads() -> tuple[int | None, str]:
    """Apply the rule; the number of BLAS threads in effect (None if unknown) and why."""
    chosen = user_choice()
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        if chosen:
            name, value = chosen
            return (int(value) if value.isdigit() else None), f"{name}={value}"
        cores = os.cpu_count()
        return cores, ("OpenBLAS's default, one per core: set OPENBLAS_NUM_THREADS=1 "
                       "(or install threadpoolctl) for one thread on shared cores")
    if chosen is None and not _limits:
        _limits.append(threadpool_limits(limits=1, user_api="blas"))
    counts = {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"}
    number = counts.pop() if len(counts) == 1 else None
    why = f"{chosen[0]}={chosen[1]}" if chosen else "one thread on shared cores (threadpoolctl)"
    return number, why
