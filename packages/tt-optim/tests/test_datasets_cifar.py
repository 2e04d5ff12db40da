"""CIFAR-10 loader on small files in the official pickle format, and the restricted unpickler."""

import os
import pickle

import numpy as np
import pytest
from tinytorch.optim.datasets import (
    DatasetFormatError,
    DatasetNotFoundError,
    UnsafePickleError,
    load_cifar10,
    restricted_load,
)

BATCH_NAMES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def official_batch(n, seed):
    """A batch dict shaped like the official files: bytes keys, uint8 N x 3072, a list of labels."""
    rng = np.random.default_rng(seed)
    return {
        b"batch_label": b"training batch",
        b"labels": [int(label) for label in rng.integers(0, 10, size=n)],
        b"data": rng.integers(0, 256, size=(n, 3072)).astype(np.uint8),
        b"filenames": [f"image_{i}.png".encode() for i in range(n)],
    }


def write_cifar_folder(root, n_per_batch=4):
    """The six official file names holding batches of `n_per_batch` images each."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    batches = {}
    for seed, name in enumerate(BATCH_NAMES):
        batches[name] = official_batch(n_per_batch, seed)
        with open(folder / name, "wb") as file:
            pickle.dump(batches[name], file, protocol=2)
    return folder, batches


def test_load_cifar10_shapes_values_and_channel_order(tmp_path):
    _, batches = write_cifar_folder(tmp_path)
    (x_train, y_train), (x_test, y_test) = load_cifar10(tmp_path, images_per_batch=None)
    assert x_train.shape == (20, 3, 32, 32) and x_test.shape == (4, 3, 32, 32)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    first = batches["data_batch_1"][b"data"][0]
    # row layout: 1024 red, then 1024 green, then 1024 blue values, each 32x32 row-major
    assert x_train[0, 1, 2, 3] == pytest.approx(first[1024 + 2 * 32 + 3] / 255)
    np.testing.assert_allclose(x_train[0].ravel() * 255, first, atol=1e-3)
    expected_train_labels = sum((batches[name][b"labels"] for name in BATCH_NAMES[:5]), [])
    np.testing.assert_array_equal(y_train, expected_train_labels)
    np.testing.assert_array_equal(y_test, batches["test_batch"][b"labels"])


def test_load_cifar10_accepts_the_batches_folder_itself(tmp_path):
    folder, _ = write_cifar_folder(tmp_path)
    (x_train, _), _ = load_cifar10(folder, images_per_batch=None)
    assert x_train.shape == (20, 3, 32, 32)


def test_numpy1_global_names_are_accepted(tmp_path):
    """Official files were written under NumPy 1, whose reconstruct lives in numpy.core."""
    raw = pickle.dumps(official_batch(3, 0), protocol=2)
    raw = raw.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    assert b"cnumpy.core.multiarray\n_reconstruct\n" in raw
    path = tmp_path / "numpy1_batch"
    path.write_bytes(raw)
    batch = restricted_load(path)
    assert batch[b"data"].shape == (3, 3072) and batch[b"data"].dtype == np.uint8


class RunsShellCommand:
    """Unpickling this calls os.system: exactly what a crafted batch file would do."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class EvaluatesCode:
    def __reduce__(self):
        return (eval, ("__import__('os').getcwd()",))


def test_malicious_pickle_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    folder, _ = write_cifar_folder(tmp_path)
    payload = official_batch(4, 0)
    payload[b"labels"] = RunsShellCommand(f"touch {marker}")
    with open(folder / "data_batch_3", "wb") as file:
        pickle.dump(payload, file, protocol=2)
    with pytest.raises(UnsafePickleError, match=r"refusing to load (posix|os|nt)\.system") as info:
        load_cifar10(tmp_path, images_per_batch=None)
    assert "data_batch_3" in str(info.value)
    assert isinstance(info.value, pickle.UnpicklingError)
    assert not marker.exists()


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_eval_and_other_globals_are_refused(tmp_path, protocol):
    path = tmp_path / "evil"
    for payload in [EvaluatesCode(), {b"data": EvaluatesCode()}, pickle.Pickler, np.load]:
        path.write_bytes(pickle.dumps(payload, protocol=protocol))
        with pytest.raises(UnsafePickleError, match="refusing to load"):
            restricted_load(path)


def test_wrong_contents_are_a_format_error(tmp_path):
    folder, _ = write_cifar_folder(tmp_path)
    with open(folder / "test_batch", "wb") as file:
        pickle.dump(
            {b"data": np.zeros((2, 100), dtype=np.uint8), b"labels": [0, 1]}, file, protocol=2
        )
    with pytest.raises(
        DatasetFormatError, match=r"test_batch: expected b'data' uint8 of shape \(N, 3072\)"
    ):
        load_cifar10(tmp_path, images_per_batch=None)
    with open(folder / "test_batch", "wb") as file:
        pickle.dump([1, 2, 3], file, protocol=2)
    with pytest.raises(DatasetFormatError, match="expected a dict"):
        load_cifar10(tmp_path, images_per_batch=None)


def test_missing_cifar10_names_places_and_remedy(tmp_path):
    with pytest.raises(DatasetNotFoundError) as info:
        load_cifar10(tmp_path, images_per_batch=None)
    message = str(info.value)
    assert "CIFAR-10" in message
    assert str(tmp_path / "cifar-10-batches-py") in message and "data_dir" in message
    assert isinstance(info.value, FileNotFoundError)


def test_official_loading_wants_10000_images_in_every_batch(tmp_path):
    write_cifar_folder(tmp_path, n_per_batch=4)
    with pytest.raises(DatasetFormatError,
                       match=r"data_batch_1: expected 10,000 images, .* got 4 "
                             r"\(images_per_batch=None reads a batch of any size\)"):
        load_cifar10(tmp_path)
    with pytest.raises(DatasetFormatError, match="data_batch_1: expected 3 images.* got 4"):
        load_cifar10(tmp_path, images_per_batch=3)
    (x_train, _), (x_test, _) = load_cifar10(tmp_path, images_per_batch=4)
    assert (len(x_train), len(x_test)) == (20, 4)


def test_one_short_batch_is_named(tmp_path):
    folder, _ = write_cifar_folder(tmp_path, n_per_batch=4)
    with open(folder / "data_batch_4", "wb") as file:
        pickle.dump(official_batch(3, 9), file, protocol=2)
    with pytest.raises(DatasetFormatError, match="data_batch_4: expected 4 images.* got 3"):
        load_cifar10(tmp_path, images_per_batch=4)


def test_labels_that_do_not_match_the_images_are_named(tmp_path):
    folder, _ = write_cifar_folder(tmp_path)
    batch = official_batch(4, 0)
    batch[b"labels"] = batch[b"labels"][:3]
    with open(folder / "data_batch_2", "wb") as file:
        pickle.dump(batch, file, protocol=2)
    with pytest.raises(DatasetFormatError, match=r"data_batch_2: expected 4 labels in 0..9"):
        load_cifar10(tmp_path, images_per_batch=None)


@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.99])
def test_a_truncated_batch_names_the_file_and_the_damage(tmp_path, keep):
    folder, _ = write_cifar_folder(tmp_path)
    raw = (folder / "data_batch_5").read_bytes()
    (folder / "data_batch_5").write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(DatasetFormatError, match=r"data_batch_5: damaged or truncated") as info:
        load_cifar10(tmp_path, images_per_batch=None)
    assert f"{int(len(raw) * keep):,} bytes" in str(info.value)
    assert not isinstance(info.value, pickle.UnpicklingError)  # not the bare pickle error


def test_a_corrupted_batch_names_the_file(tmp_path):
    folder, _ = write_cifar_folder(tmp_path)
    raw = bytearray((folder / "test_batch").read_bytes())
    raw[:4] = b"\x00junk"[:4]
    (folder / "test_batch").write_bytes(bytes(raw))
    with pytest.raises(DatasetFormatError, match=r"test_batch: damaged or truncated"):
        load_cifar10(tmp_path, images_per_batch=None)


def test_array_bytes_that_do_not_fit_its_shape_are_damage(tmp_path):
    """A batch whose pixel bytes were cut inside the pickle (the shape says more)."""
    raw = pickle.dumps(official_batch(2, 0), protocol=4)  # bytes stored as BINBYTES
    pixels = official_batch(2, 0)[b"data"].tobytes()
    whole = b"B" + len(pixels).to_bytes(4, "little") + pixels
    cut = b"B" + (len(pixels) - 10).to_bytes(4, "little") + pixels[:-10]
    damaged = raw.replace(whole, cut)
    assert damaged != raw
    path = tmp_path / "data_batch_1"
    path.write_bytes(damaged)
    with pytest.raises(DatasetFormatError, match="data_batch_1: damaged or truncated"):
        restricted_load(path)
