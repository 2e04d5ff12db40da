"""DataLoader, datasets and random_split: coverage, shapes, dtypes, seeding."""

import numpy as np
import pytest
from tinytorch.optim.data import (
    ArrayDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from tinytorch.tensor import Tensor


def make_arrays(n=23):
    """n fake images (N, 1, 2, 2) whose first pixel is their index, with int64 labels."""
    images = np.zeros((n, 1, 2, 2), dtype=np.float32)
    images[:, 0, 0, 0] = np.arange(n)
    labels = np.arange(n, dtype=np.int64) % 10
    return images, labels


class ListDataset(Dataset):
    """A dataset with only __getitem__ (no batched fetch): the per-sample path."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.images[index], int(self.labels[index])


def sample_ids(batch_images):
    """The index stored in each image's first pixel."""
    return batch_images.data[:, 0, 0, 0].astype(np.int64).tolist()


def epoch_ids(loader):
    return [i for images, _ in loader for i in sample_ids(images)]


@pytest.fixture(params=["tensor", "subset", "list"])
def dataset(request):
    images, labels = make_arrays()
    if request.param == "tensor":
        return TensorDataset(images, labels)
    if request.param == "subset":
        return Subset(TensorDataset(images, labels), np.arange(len(labels)))
    return ListDataset(images, labels)


@pytest.mark.parametrize("shuffle", [False, True])
def test_every_sample_exactly_once_per_epoch(dataset, shuffle):
    loader = DataLoader(dataset, batch_size=5, shuffle=shuffle, seed=0)
    for _ in range(3):
        assert sorted(epoch_ids(loader)) == list(range(23))


def test_no_shuffle_keeps_order(dataset):
    assert epoch_ids(DataLoader(dataset, batch_size=4)) == list(range(23))


def test_batch_shapes_and_dtypes(dataset):
    batches = list(DataLoader(dataset, batch_size=5))
    assert [images.shape for images, _ in batches] == [(5, 1, 2, 2)] * 4 + [(3, 1, 2, 2)]
    for images, labels in batches:
        assert isinstance(images, Tensor) and isinstance(labels, Tensor)
        assert images.data.dtype == np.float32
        assert labels.data.dtype == np.int64
        assert labels.shape == (images.shape[0],)


def test_labels_travel_with_their_images(dataset):
    for images, labels in DataLoader(dataset, batch_size=6, shuffle=True, seed=3):
        np.testing.assert_array_equal(labels.data, np.array(sample_ids(images)) % 10)


@pytest.mark.parametrize(
    "drop_last, expected_len, expected_sizes",
    [
        (False, 5, [5, 5, 5, 5, 3]),
        (True, 4, [5, 5, 5, 5]),
    ],
)
def test_len_and_drop_last(dataset, drop_last, expected_len, expected_sizes):
    loader = DataLoader(dataset, batch_size=5, drop_last=drop_last, shuffle=True, seed=1)
    assert len(loader) == expected_len
    assert [images.shape[0] for images, _ in loader] == expected_sizes


def test_drop_last_with_exact_multiple_keeps_every_batch():
    images, labels = make_arrays(20)
    loader = DataLoader(TensorDataset(images, labels), batch_size=5, drop_last=True)
    assert len(loader) == 4
    assert sorted(epoch_ids(loader)) == list(range(20))


def test_same_seed_same_epochs_and_epochs_differ(dataset):
    first = DataLoader(dataset, batch_size=4, shuffle=True, seed=7)
    second = DataLoader(dataset, batch_size=4, shuffle=True, seed=7)
    first_epochs = [epoch_ids(first) for _ in range(3)]
    second_epochs = [epoch_ids(second) for _ in range(3)]
    assert first_epochs == second_epochs
    assert first_epochs[0] != first_epochs[1] != first_epochs[2]
    assert epoch_ids(DataLoader(dataset, batch_size=4, shuffle=True, seed=8)) != first_epochs[0]


def test_array_backed_datasets_fetch_whole_batches():
    """The loader asks an array-backed dataset for a batch, never sample by sample."""
    images, labels = make_arrays()
    calls = []

    class CountingDataset(TensorDataset):
        def __getitem__(self, index):
            calls.append(("item", index))
            return super().__getitem__(index)

        def __getitems__(self, indices):
            calls.append(("batch", len(indices)))
            return super().__getitems__(indices)

    loader = DataLoader(Subset(CountingDataset(images, labels), np.arange(10, 23)), batch_size=4)
    assert [images.shape[0] for images, _ in loader] == [4, 4, 4, 1]
    assert calls == [("batch", 4), ("batch", 4), ("batch", 4), ("batch", 1)]


def test_collate_fn_is_used_per_sample():
    images, labels = make_arrays(6)

    def collate_labels_only(samples):
        return [int(label.data) for _, label in samples]

    loader = DataLoader(TensorDataset(images, labels), batch_size=4, collate_fn=collate_labels_only)
    assert list(loader) == [[0, 1, 2, 3], [4, 5]]


def test_default_collate_stacks_fields():
    samples = [(np.ones((2, 3), dtype=np.float64), 1), (np.zeros((2, 3)), 2)]
    batch = default_collate(samples)
    assert isinstance(batch, tuple) and len(batch) == 2
    images, labels = batch
    assert images.shape == (2, 2, 3) and images.data.dtype == np.float32
    assert labels.data.tolist() == [1, 2] and labels.data.dtype == np.int64
    single = default_collate([Tensor(np.ones(3)), Tensor(np.zeros(3))])
    assert single.shape == (2, 3)


def test_single_array_dataset_yields_one_tuple():
    images, _ = make_arrays(4)
    (batch,) = next(iter(DataLoader(TensorDataset(images), batch_size=4)))
    assert batch.shape == (4, 1, 2, 2)


def test_bad_batch_size_is_an_error():
    images, labels = make_arrays()
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(images, labels), batch_size=0)


def test_tensor_dataset_checks_lengths_and_indices():
    with pytest.raises(ValueError, match="same number of samples"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    ds = TensorDataset(np.zeros((3, 2)), np.arange(3))
    assert len(ds) == 3 and ds[-1][1].data == 2
    with pytest.raises(IndexError, match="out of range"):
        ds[3]
    assert [t.shape for t in ds.tensors] == [(3, 2), (3,)]


def test_tensor_dataset_accepts_tensors():
    ds = TensorDataset(Tensor(np.ones((4, 2))), Tensor(np.arange(4)))
    images, labels = next(iter(DataLoader(ds, batch_size=4)))
    assert images.shape == (4, 2) and labels.data.dtype == np.int64


def test_tensor_dataset_keeps_a_float64_tensor_float64():
    """A float64 Tensor (a model in .double()) must not come back as float32 batches."""
    ds = TensorDataset(Tensor(np.ones((4, 2)), dtype=np.float64), Tensor(np.arange(4)))
    images, labels = next(iter(DataLoader(ds, batch_size=4)))
    assert images.dtype == np.float64 and labels.dtype == np.int64
    assert ds[0][0].dtype == np.float64 and ds.tensors[0].dtype == np.float64


def test_tensor_dataset_converts_float64_arrays_to_float32_once():
    ds = TensorDataset(np.ones((4, 2)), np.arange(4))
    assert ds.arrays[0].dtype == np.float32
    (images, _), sample = next(iter(DataLoader(ds, batch_size=4))), ds[0][0]
    assert images.dtype == np.float32 and sample.dtype == np.float32


def test_array_dataset_transforms_samples_and_batches():
    images, labels = make_arrays(6)
    ds = ArrayDataset(images, labels, transform=lambda x: x + 100, target_transform=lambda y: y * 2)
    image, label = ds[2]
    assert image.data[0, 0, 0] == 102 and int(label.data) == 4
    batch_images, batch_labels = next(iter(DataLoader(ds, batch_size=6)))
    np.testing.assert_array_equal(batch_images.data[:, 0, 0, 0], np.arange(6) + 100)
    np.testing.assert_array_equal(batch_labels.data, labels * 2)


# --- random_split -----------------------------------------------------------


def test_random_split_sizes_disjoint_and_complete():
    images, labels = make_arrays(23)
    parts = random_split(TensorDataset(images, labels), [15, 5, 3], seed=0)
    assert [len(part) for part in parts] == [15, 5, 3]
    ids = [i for part in parts for i in part.indices.tolist()]
    assert sorted(ids) == list(range(23))


def test_random_split_fractions_like_pytorch():
    images, labels = make_arrays(23)
    parts = random_split(TensorDataset(images, labels), [0.7, 0.2, 0.1], seed=0)
    # floor: 16, 4, 2 = 22; the leftover sample goes to the first part
    assert [len(part) for part in parts] == [17, 4, 2]


def test_random_split_is_seeded_and_random():
    images, labels = make_arrays(50)
    ds = TensorDataset(images, labels)
    first = [part.indices.tolist() for part in random_split(ds, [40, 10], seed=1)]
    again = [part.indices.tolist() for part in random_split(ds, [40, 10], seed=1)]
    other = [part.indices.tolist() for part in random_split(ds, [40, 10], seed=2)]
    assert first == again
    assert first != other
    assert first[1] != list(range(40, 50))


def test_random_split_subsets_serve_their_samples():
    images, labels = make_arrays(23)
    train, test = random_split(TensorDataset(images, labels), [20, 3], seed=4)
    test_ids = sorted(epoch_ids(DataLoader(test, batch_size=2, shuffle=True, seed=0)))
    assert test_ids == sorted(test.indices.tolist())
    assert (
        sample_ids(Tensor(np.stack([train[i][0].data for i in range(3)])))
        == train.indices[:3].tolist()
    )


@pytest.mark.parametrize("lengths", [[10, 10], [24, -1], [0.5, 0.4]])
def test_random_split_rejects_bad_lengths(lengths):
    images, labels = make_arrays(23)
    with pytest.raises(ValueError, match="summing"):
        random_split(TensorDataset(images, labels), lengths, seed=0)


def test_loader_takes_pytorchs_positional_order_and_refuses_what_it_lacks():
    dataset = TensorDataset(np.arange(10.0), np.arange(10))
    # dataset, batch_size, shuffle, sampler, batch_sampler, num_workers, collate_fn,
    # pin_memory, drop_last
    loader = DataLoader(dataset, 4, False, None, None, 0, None, False, True)
    assert loader.drop_last and len(loader) == 2
    for option in ({"sampler": [0, 1]}, {"batch_sampler": [[0]]}, {"num_workers": 2},
                   {"pin_memory": True}):
        with pytest.raises(NotImplementedError, match=f"DataLoader: {next(iter(option))}="):
            DataLoader(dataset, **option)
