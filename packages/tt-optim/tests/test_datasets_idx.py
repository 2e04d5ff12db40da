"""IDX reader and the MNIST / Fashion-MNIST loaders, on small files written here."""

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from tinytorch.optim.datasets import (
    DatasetFormatError,
    DatasetNotFoundError,
    load_fashion_mnist,
    load_mnist,
    read_idx,
    write_idx,
)

FASHION_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array, type_code, big_endian_dtype):
    """An IDX file's bytes, built by hand from the format description."""
    header = struct.pack(">BBBB", 0, 0, type_code, array.ndim)
    header += b"".join(struct.pack(">I", size) for size in array.shape)
    return header + array.astype(big_endian_dtype).tobytes()


def write_file(path, raw, gzipped):
    path.write_bytes(gzip.compress(raw) if gzipped else raw)
    return path


@pytest.mark.parametrize("gzipped", [True, False])
def test_read_idx_images_gz_and_raw(tmp_path, gzipped):
    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28)).astype(np.uint8)
    path = write_file(tmp_path / "images-idx3-ubyte", idx_bytes(images, 0x08, np.uint8), gzipped)
    out = read_idx(path)
    assert out.dtype == np.uint8 and out.shape == (5, 28, 28)
    np.testing.assert_array_equal(out, images)


@pytest.mark.parametrize(
    "type_code, big_endian, native",
    [
        (0x09, ">i1", np.int8),
        (0x0B, ">i2", np.int16),
        (0x0C, ">i4", np.int32),
        (0x0D, ">f4", np.float32),
        (0x0E, ">f8", np.float64),
    ],
)
def test_read_idx_other_types_are_big_endian(tmp_path, type_code, big_endian, native):
    values = np.array([[-3, 1, 2], [100, -7, 0]]).astype(native)
    path = write_file(
        tmp_path / "values.idx", idx_bytes(values, type_code, big_endian), gzipped=False
    )
    out = read_idx(path)
    assert out.dtype == np.dtype(native)
    np.testing.assert_array_equal(out, values)


def test_write_idx_round_trips(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "labels-idx1-ubyte.gz", labels)
    assert gzip.decompress((tmp_path / "labels-idx1-ubyte.gz").read_bytes())[:4] == bytes(
        [0, 0, 8, 1]
    )
    np.testing.assert_array_equal(read_idx(tmp_path / "labels-idx1-ubyte.gz"), labels)


def test_bad_magic_number_is_a_clear_error(tmp_path):
    path = write_file(tmp_path / "bad.gz", b"\x12\x34\x08\x01" + b"\x00" * 8, gzipped=True)
    with pytest.raises(DatasetFormatError, match="bad magic number 12340801"):
        read_idx(path)


def test_unknown_type_code_is_a_clear_error(tmp_path):
    path = write_file(
        tmp_path / "bad", bytes([0, 0, 0x07, 1]) + struct.pack(">I", 1) + b"\x00", gzipped=False
    )
    with pytest.raises(DatasetFormatError, match="unknown IDX element type 0x07"):
        read_idx(path)


@pytest.mark.parametrize("extra", [-1, +1])
def test_wrong_size_is_a_clear_error(tmp_path, extra):
    raw = idx_bytes(np.zeros((3, 4), dtype=np.uint8), 0x08, np.uint8)
    raw = raw[:extra] if extra < 0 else raw + b"\x00"
    with pytest.raises(DatasetFormatError, match=r"declares shape \(3, 4\)"):
        read_idx(write_file(tmp_path / "short", raw, gzipped=True))


def test_a_header_whose_size_product_overflows_int64_is_named(tmp_path):
    # 4 dims of 2**16: 2**64 elements, which wraps around to 0 in int64 arithmetic, so a
    # file holding just the header would seem to have the right size
    header = struct.pack(">BBBB", 0, 0, 0x08, 4) + struct.pack(">IIII", *[2**16] * 4)
    path = write_file(tmp_path / "huge-idx3-ubyte", header, gzipped=False)
    with pytest.raises(DatasetFormatError, match=r"huge-idx3-ubyte: IDX header declares shape"):
        read_idx(path)


def test_a_damaged_gzip_stream_is_named(tmp_path):
    raw = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8).reshape(10, 20), 0x08, np.uint8))
    damaged = raw[:12] + bytes(b ^ 0xFF for b in raw[12:40]) + raw[40:]
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(damaged)
    with pytest.raises(DatasetFormatError, match=r"train-images-idx3-ubyte.gz: a damaged gzip"):
        read_idx(path)


def write_mnist_files(folder, n_train=12, n_test=7, gzipped=True, seed=0):
    """The four official MNIST files, with few images, in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {}
    for prefix, n in [("train", n_train), ("t10k", n_test)]:
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        suffix = ".gz" if gzipped else ""
        write_file(
            folder / f"{prefix}-images-idx3-ubyte{suffix}",
            idx_bytes(images, 0x08, np.uint8),
            gzipped,
        )
        write_file(
            folder / f"{prefix}-labels-idx1-ubyte{suffix}",
            idx_bytes(labels, 0x08, np.uint8),
            gzipped,
        )
        arrays[prefix] = (images, labels)
    return arrays


@pytest.mark.parametrize("gzipped", [True, False])
def test_load_mnist_from_official_files(tmp_path, gzipped):
    arrays = write_mnist_files(tmp_path, gzipped=gzipped)
    (x_train, y_train), (x_test, y_test) = load_mnist(tmp_path)
    assert x_train.shape == (12, 1, 28, 28) and x_test.shape == (7, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    np.testing.assert_allclose(x_train[:, 0] * 255, arrays["train"][0], atol=1e-3)
    np.testing.assert_array_equal(y_test, arrays["t10k"][1])
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0


def test_load_mnist_finds_torchvision_layout(tmp_path):
    write_mnist_files(tmp_path / "MNIST" / "raw")
    (x_train, _), _ = load_mnist(tmp_path)
    assert x_train.shape == (12, 1, 28, 28)


def test_load_mnist_rejects_mismatched_counts(tmp_path):
    write_mnist_files(tmp_path)
    labels = np.zeros(5, dtype=np.uint8)
    write_file(
        tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(labels, 0x08, np.uint8), gzipped=True
    )
    with pytest.raises(DatasetFormatError, match="12 images but .* 5 labels"):
        load_mnist(tmp_path)


def test_load_mnist_rejects_wrong_image_size(tmp_path):
    write_mnist_files(tmp_path)
    images = np.zeros((12, 32, 32), dtype=np.uint8)
    write_file(
        tmp_path / "train-images-idx3-ubyte.gz", idx_bytes(images, 0x08, np.uint8), gzipped=True
    )
    with pytest.raises(DatasetFormatError, match=r"expected uint8 images of shape \(N, 28, 28\)"):
        load_mnist(tmp_path)


def test_missing_mnist_names_places_and_remedy(tmp_path):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")  # one of four is not enough
    with pytest.raises(DatasetNotFoundError) as info:
        load_mnist(tmp_path)
    message = str(info.value)
    assert "MNIST" in message and str(tmp_path) in message and "data_dir" in message
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(DatasetNotFoundError, match="data_dir"):
        load_mnist(None)


def test_load_fashion_mnist_from_data_dir(tmp_path):
    write_mnist_files(tmp_path, n_train=20, n_test=10)
    (x_train, y_train), (x_test, _) = load_fashion_mnist(tmp_path)
    assert x_train.shape == (20, 1, 28, 28) and x_test.shape == (10, 1, 28, 28)
    assert y_train.dtype == np.int64


def test_missing_fashion_mnist_names_places_and_remedy(tmp_path, monkeypatch):
    import tinytorch.optim.datasets.mnist as mnist

    absent_debian_dir = tmp_path / "not-installed"
    monkeypatch.setattr(mnist, "FASHION_MNIST_DEBIAN_DIR", absent_debian_dir)
    with pytest.raises(DatasetNotFoundError) as info:
        load_fashion_mnist(tmp_path / "empty")
    message = str(info.value)
    assert "Fashion-MNIST" in message
    assert str(tmp_path / "empty") in message and str(absent_debian_dir) in message
    assert "apt-get install dataset-fashion-mnist" in message


@pytest.mark.skipif(
    not FASHION_DEBIAN_DIR.is_dir(), reason="Debian's dataset-fashion-mnist is not installed"
)
def test_real_fashion_mnist_from_debian_package():
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist()
    assert x_train.shape == (60000, 1, 28, 28) and x_test.shape == (10000, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    np.testing.assert_array_equal(np.bincount(y_train), [6000] * 10)
    np.testing.assert_array_equal(np.bincount(y_test), [1000] * 10)
