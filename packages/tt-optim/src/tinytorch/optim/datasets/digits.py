"""scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes)."""

from __future__ import annotations

import numpy as np

from .errors import DatasetNotFoundError
from .splits import stratified_split

DIGITS_TEST_SIZE = 360  # with 1,797 images: 1,437 train / 360 test


def load_digits(seed: int = 0, test_size=DIGITS_TEST_SIZE):
    """The 8x8 digits as `(x_train, y_train), (x_test, y_test)`.

    Images are float32 (N, 1, 8, 8) in [0, 1] (pixels 0..16 divided by 16),
    labels int64 in 0..9. The split is stratified and seeded: by default
    1,437 train / 360 test with seed 0. Needs scikit-learn, which ships the data.
    """
    images, labels = read_sklearn_digits()
    train, test = stratified_split(labels, test_size, seed=seed)
    return (images[train], labels[train]), (images[test], labels[test])


def read_sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digits from scikit-learn: images (N, 1, 8, 8) in [0, 1], labels int64."""
    try:
        from sklearn.datasets import load_digits as sklearn_load_digits
    except ImportError as error:
        raise DatasetNotFoundError(
            "the 8x8 digits dataset (scikit-learn)",
            ["the scikit-learn package (import sklearn.datasets)"],
            "pip install scikit-learn",
        ) from error
    digits = sklearn_load_digits()
    images = (digits.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    return images, digits.target.astype(np.int64)
