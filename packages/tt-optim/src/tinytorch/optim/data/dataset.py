"""Datasets: indexable collections of samples.

A dataset answers two questions: how many samples (`len(ds)`) and what is
sample `i` (`ds[i]`). Array-backed datasets (`TensorDataset`, `ArrayDataset`
and a `Subset` of one) also answer `ds.__getitems__(indices)`: a whole batch
with one fancy-index per array, which is what lets the `DataLoader` skip the
Python loop over samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from tinytorch.tensor import Tensor, default_generator


def seeded_generator(seed: int | None) -> np.random.Generator:
    """A generator of its own: from ``seed``, or, when None, seeded from tinytorch's global one.

    So ``tinytorch.tensor.manual_seed(s)`` at the top of a script makes every
    loader, split and random transform built after it reproducible, as
    ``torch.manual_seed`` does, while an explicit ``seed`` stays independent of it.
    """
    if seed is None:
        seed = int(default_generator().integers(2**63))
    return np.random.default_rng(seed)


def as_array(value) -> np.ndarray:
    """The NumPy array behind `value` (a Tensor, an array or anything array-like)."""
    if isinstance(value, Tensor):
        return value.data
    return np.asarray(value)


class Dataset:
    """Base class of datasets: subclasses define `__len__` and `__getitem__`."""

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class TensorDataset(Dataset):
    """Sample i is `(t[i] for t in tensors)`: inputs and targets side by side.

    Each argument is a Tensor or a NumPy array; all share the first dimension.
    Samples and batches come back as Tensors of the stored dtypes: a Tensor
    keeps its dtype (float64 stays float64), an array is stored as `Tensor`
    would hold it (float arrays become float32 once, here, not every batch;
    integer labels keep their dtype).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, got none")
        self.arrays = tuple(Tensor(t).data for t in tensors)
        check_same_length(self.arrays)

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """The stored arrays as Tensors (PyTorch's `TensorDataset.tensors`)."""
        return tuple(Tensor(a, dtype=a.dtype) for a in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index):
        """Sample `index`: one Tensor per stored array."""
        index = check_index(index, len(self))
        return tuple(Tensor(a[index], dtype=a.dtype) for a in self.arrays)

    def __getitems__(self, indices):
        """The batch at `indices` (an int array): one fancy-index per stored array."""
        indices = np.asarray(indices, dtype=np.int64)
        return tuple(Tensor(a[indices], dtype=a.dtype) for a in self.arrays)


class ArrayDataset(TensorDataset):
    """A TensorDataset whose first array (the inputs) passes through `transform`.

    `transform` receives one sample (C, H, W) from `ds[i]` and a whole batch
    (N, C, H, W) from `ds.__getitems__(indices)`, so a vectorized transform
    (see `tinytorch.optim.data.transforms`) augments a batch in one call.
    `target_transform`, if given, is applied to the second array (the labels).
    """

    def __init__(self, *arrays, transform=None, target_transform=None):
        super().__init__(*arrays)
        self.transform = transform
        self.target_transform = target_transform

    def __getitem__(self, index):
        """Sample `index`, transformed."""
        index = check_index(index, len(self))
        return self._transformed([np.asarray(a[index]) for a in self.arrays])

    def __getitems__(self, indices):
        """The batch at `indices`, transformed as one batch."""
        indices = np.asarray(indices, dtype=np.int64)
        return self._transformed([a[indices] for a in self.arrays])

    def _transformed(self, arrays: list) -> tuple[Tensor, ...]:
        """Apply the transforms to inputs (and targets) and wrap every array in a Tensor."""
        if self.transform is not None:
            arrays[0] = self.transform(arrays[0])
        if self.target_transform is not None and len(arrays) > 1:
            arrays[1] = self.target_transform(arrays[1])
        return tuple(Tensor(np.asarray(a)) for a in arrays)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64).reshape(-1)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        """Sample `index` of the subset: sample `indices[index]` of the dataset."""
        index = check_index(index, len(self))
        return self.dataset[int(self.indices[index])]

    def __getitems__(self, indices):
        """The batch at `indices`, fetched in one call from an array-backed dataset."""
        return self.dataset.__getitems__(self.indices[np.asarray(indices, dtype=np.int64)])


def is_array_backed(dataset) -> bool:
    """True when `dataset.__getitems__` can fetch a whole batch in one call."""
    if isinstance(dataset, Subset):
        return is_array_backed(dataset.dataset)
    return hasattr(dataset, "__getitems__")


def random_split(dataset, lengths: Sequence, seed: int | None = None) -> list[Subset]:
    """Split `dataset` into disjoint random Subsets of the given lengths.

    `lengths` are sample counts summing to `len(dataset)`, or fractions summing
    to 1 (as in PyTorch: each part gets floor(fraction * n) and the leftover
    samples go one each to the first parts); the given `split_counts` turns them
    into counts and raises the error for bad lengths. Together the Subsets hold
    every index exactly once, in one random permutation drawn from
    `seeded_generator(seed)`: the same `seed` gives the same split, and without
    one the split comes from tinytorch's global generator (`manual_seed`).
    Returns a list of `Subset`s, one per length, in order.
    """
    # BEGIN SOLUTION
    counts = split_counts(lengths, len(dataset))
    order = seeded_generator(seed).permutation(len(dataset))
    ends = np.cumsum(counts)
    return [
        Subset(dataset, order[end - count : end]) for count, end in zip(counts, ends, strict=True)
    ]
    # END SOLUTION


def split_counts(lengths: Sequence, total: int) -> list[int]:
    """Sample counts for `random_split`: `lengths` as given, or fractions of `total`."""
    if all(isinstance(length, float) for length in lengths) and math.isclose(sum(lengths), 1.0):
        counts = fraction_counts(lengths, total)
    else:
        counts = [int(length) for length in lengths]
    if any(count < 0 for count in counts) or sum(counts) != total:
        raise ValueError(
            f"random_split: lengths {list(lengths)} must be non-negative counts summing to "
            f"the dataset's length {total}, or fractions summing to 1"
        )
    return counts


def fraction_counts(fractions: Sequence[float], total: int) -> list[int]:
    """floor(fraction * total) samples per part; leftovers go one each to the first parts."""
    counts = [math.floor(fraction * total) for fraction in fractions]
    for i in range(total - sum(counts)):
        counts[i % len(counts)] += 1
    return counts


def check_same_length(arrays: Sequence[np.ndarray]) -> None:
    """Raise unless every array has the same (non-empty) first dimension."""
    shapes = [a.shape for a in arrays]
    if any(len(shape) == 0 for shape in shapes):
        raise ValueError(f"dataset arrays need a first (sample) dimension, got shapes {shapes}")
    if len({shape[0] for shape in shapes}) != 1:
        raise ValueError(
            f"dataset arrays must have the same number of samples, got shapes {shapes}"
        )


def check_index(index, length: int) -> int:
    """`index` as a non-negative int below `length` (negative counts from the end)."""
    if not isinstance(index, (int, np.integer)):
        raise TypeError(f"dataset index must be an int, got {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"dataset index {index} out of range for a dataset of {length} samples")
    return int(index) % length
