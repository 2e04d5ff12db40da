"""Seeded, stratified train/test splits in NumPy."""

from __future__ import annotations

import numpy as np


def stratified_split(labels, test_size, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test) such that each class keeps its share in both parts.

    `test_size` is a number of samples or a fraction of them. Class c gets
    floor(n_c * n_test / n) test samples; the few left over go to the classes
    with the largest remainders. Which samples of a class go to test is
    random, drawn from `seed`; both index arrays come back in random order.
    """
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    test_counts = per_class_test_counts(counts, resolve_test_count(test_size, len(labels)))
    train_parts, test_parts = [], []
    for cls, n_test in zip(classes, test_counts, strict=True):
        members = rng.permutation(np.flatnonzero(labels == cls))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    return rng.permutation(np.concatenate(train_parts)), rng.permutation(np.concatenate(test_parts))


def resolve_test_count(test_size, total: int) -> int:
    """`test_size` as a number of samples: an int as is, a float as a fraction of `total`."""
    count = round(test_size * total) if isinstance(test_size, float) else int(test_size)
    if not 0 < count < total:
        raise ValueError(
            f"test_size {test_size} must leave both parts non-empty out of {total} samples"
        )
    return count


def per_class_test_counts(class_counts: np.ndarray, n_test: int) -> np.ndarray:
    """Split `n_test` over the classes in proportion to `class_counts` (largest remainders)."""
    ideal = class_counts * n_test / class_counts.sum()
    counts = np.floor(ideal).astype(np.int64)
    leftover = n_test - counts.sum()
    by_remainder = np.argsort(-(ideal - counts), kind="stable")
    counts[by_remainder[:leftover]] += 1
    return counts
