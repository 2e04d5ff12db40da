"""manual_seed makes every random draw without a seed of its own reproducible."""

import numpy as np
from tinytorch.optim import DataLoader, TensorDataset, random_split
from tinytorch.optim.data.transforms import RandomCrop, RandomHorizontalFlip
from tinytorch.tensor import manual_seed


def epoch_orders(loader, epochs=3):
    return [np.concatenate([batch[0].data for batch in loader]) for _ in range(epochs)]


def shuffled_loader():
    return DataLoader(TensorDataset(np.arange(20, dtype=np.float32)), 4, shuffle=True)


def test_manual_seed_makes_an_unseeded_shuffling_loader_reproducible():
    manual_seed(0)
    first = epoch_orders(shuffled_loader())
    manual_seed(0)
    again = epoch_orders(shuffled_loader())
    manual_seed(1)
    other = epoch_orders(shuffled_loader())
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    assert not np.array_equal(first[0], first[1]), "each epoch still gets a fresh order"


def test_an_explicit_seed_does_not_depend_on_the_global_one():
    orders = []
    for global_seed in (0, 1):
        manual_seed(global_seed)
        loader = DataLoader(TensorDataset(np.arange(20, dtype=np.float32)), 4, True, seed=7)
        orders.append(epoch_orders(loader, 1)[0])
    np.testing.assert_array_equal(orders[0], orders[1])


def test_manual_seed_makes_an_unseeded_random_split_reproducible():
    dataset = TensorDataset(np.arange(30, dtype=np.float32))
    splits = []
    for _ in range(2):
        manual_seed(3)
        splits.append(random_split(dataset, [20, 10])[0].indices)
    np.testing.assert_array_equal(splits[0], splits[1])
    manual_seed(4)
    assert not np.array_equal(random_split(dataset, [20, 10])[0].indices, splits[0])


def test_manual_seed_makes_random_split_and_random_transforms_reproducible():
    dataset = TensorDataset(np.arange(30, dtype=np.float32))
    images = np.arange(2 * 1 * 6 * 6, dtype=np.float32).reshape(2, 1, 6, 6)
    results = []
    for _ in range(2):
        manual_seed(3)
        parts = random_split(dataset, [20, 10])
        crop, flip = RandomCrop(4, padding=1), RandomHorizontalFlip()
        results.append((parts[0].indices, crop(images), flip(images)))
    for a, b in zip(results[0], results[1], strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
