"""Property tests: any dataset size, batch size and seed give a correct epoch."""

import math

import numpy as np
import pytest
from tinytorch.optim.data import DataLoader, TensorDataset, random_split

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")
given, settings = hypothesis.given, hypothesis.settings


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 60),
    batch_size=st.integers(1, 70),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_epoch_covers_each_sample_once(n, batch_size, shuffle, drop_last, seed):
    ids = np.arange(n, dtype=np.int64)
    loader = DataLoader(
        TensorDataset(ids), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed
    )
    batches = [batch.data for (batch,) in loader]
    assert len(batches) == len(loader)
    assert all(len(batch) == batch_size for batch in batches[:-1])
    seen = np.concatenate(batches).tolist() if batches else []
    if drop_last:
        assert len(loader) == n // batch_size
        assert len(seen) == len(loader) * batch_size and len(set(seen)) == len(seen)
    else:
        assert len(loader) == math.ceil(n / batch_size)
        assert sorted(seen) == list(range(n))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 200),
    fractions=st.lists(st.integers(1, 10), min_size=1, max_size=5),
    seed=st.integers(0, 2**32 - 1),
)
def test_random_split_fractions_partition_the_dataset(n, fractions, seed):
    total = sum(fractions)
    lengths = [f / total for f in fractions]
    lengths[-1] = 1.0 - sum(lengths[:-1])
    parts = random_split(TensorDataset(np.arange(n)), lengths, seed=seed)
    assert sum(len(part) for part in parts) == n
    assert sorted(np.concatenate([part.indices for part in parts]).tolist()) == list(range(n))
