"""DataLoader: a dataset served as shuffled mini-batches of Tensors."""

from __future__ import annotations

import math

import numpy as np
from tinytorch.tensor import Tensor

from .dataset import as_array, is_array_backed, seeded_generator


def default_collate(batch: list):
    """Stack a list of samples into one batch.

    Each sample is a Tensor / array / number, or a tuple (or list) of them
    (inputs, label, ...). Returns one Tensor whose first dim is the batch, or a
    tuple with one such Tensor per field: field k of the batch stacks field k of
    every sample. `as_array` (given) turns a Tensor or a number into an array;
    dtypes are kept (integer labels stay int64, float32 inputs float32).
    """
    # BEGIN SOLUTION
    if isinstance(batch[0], (tuple, list)):
        fields = zip(*batch, strict=True)
        return tuple(Tensor(np.stack([as_array(value) for value in field])) for field in fields)
    return Tensor(np.stack([as_array(sample) for sample in batch]))
    # END SOLUTION


class DataLoader:
    """Iterate over `dataset` in mini-batches.

    Each epoch (each `for batch in loader`) visits every sample exactly once:
    in order, or in a fresh random order when `shuffle=True` (reproducible
    from `seed`: the same seed gives the same sequence of epochs; without a
    seed, the loader's generator is seeded from tinytorch's global one when the
    loader is built, so `manual_seed` before it makes the run reproducible). The last
    batch may be smaller than `batch_size` unless `drop_last=True`.

    An array-backed dataset (TensorDataset, ArrayDataset or a Subset of one)
    is batched with one fancy-index per array via `dataset.__getitems__`;
    any other dataset, or an explicit `collate_fn`, goes sample by sample:
    `collate_fn([dataset[i] for i in batch_indices])`.

    The arguments keep `torch.utils.data.DataLoader`'s order up to `drop_last`;
    `sampler`, `batch_sampler`, worker processes and pinned memory are not
    implemented (anything but their defaults raises NotImplementedError).
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn=None,
        pin_memory: bool = False,
        drop_last: bool = False,
        *,
        seed: int | None = None,
    ):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        _refuse_unsupported(sampler=(sampler, None), batch_sampler=(batch_sampler, None),
                            num_workers=(num_workers, 0), pin_memory=(pin_memory, False))
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.seed = seed
        self.rng = seeded_generator(seed)
        self.batched_fetch = collate_fn is None and is_array_backed(dataset)

    def __len__(self) -> int:
        """Number of batches per epoch."""
        if self.drop_last:
            return len(self.dataset) // self.batch_size
        return math.ceil(len(self.dataset) / self.batch_size)

    def __iter__(self):
        """Yield the batches of one epoch."""
        for indices in self.batch_indices():
            yield self.fetch(indices)

    def batch_indices(self) -> list[np.ndarray]:
        """The sample indices of each batch of one epoch, as a list of int arrays.

        Every sample appears once per epoch: in order (0, 1, 2, ...) without
        shuffling; in a fresh random order each call with `shuffle=True`, drawn from
        `self.rng` (so the same seed gives the same sequence of epochs). Batches hold
        `batch_size` indices, the last one fewer, and `drop_last=True` leaves that
        short one out: there are exactly `len(self)` batches (`__len__` is given).
        """
        # Hint: np.arange or self.rng.permutation, then cut into len(self) slices.
        # BEGIN SOLUTION
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        starts = range(0, len(self) * self.batch_size, self.batch_size)
        return [order[start : start + self.batch_size] for start in starts]
        # END SOLUTION

    def fetch(self, indices: np.ndarray):
        """The batch made of the samples at `indices`."""
        if self.batched_fetch:
            return self.dataset.__getitems__(indices)
        collate = self.collate_fn or default_collate
        return collate([self.dataset[int(i)] for i in indices])


def _refuse_unsupported(**arguments) -> None:
    """NotImplementedError for a PyTorch DataLoader option given other than its default.

    Each keyword is ``name=(value, default)``.
    """
    for name, (value, default) in arguments.items():
        if value != default:
            raise NotImplementedError(
                f"DataLoader: {name}={value!r} is not supported by tinytorch (only {default!r})"
            )
