"""CIFAR-10 from the official `cifar-10-batches-py` folder, read safely.

The official batches (`data_batch_1` .. `data_batch_5`, `test_batch`) are
Python pickles of dicts: `b'data'` a uint8 array N x 3072 (the red, green
then blue 32x32 planes of each image) and `b'labels'` a list of N ints.
Unpickling can run any function the file names, so they are read with
`RestrictedUnpickler`, which admits only the globals such a file needs.
Each official batch holds 10,000 images; a file that holds another number,
rows of another size, or that is damaged or cut short is refused with an
error naming the file and what was wrong.
"""

from __future__ import annotations

import codecs
import io
import pickle
from pathlib import Path

import numpy as np

from .errors import DatasetFormatError, DatasetNotFoundError

try:
    from numpy._core.multiarray import _reconstruct  # NumPy >= 2
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core.multiarray import _reconstruct

CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_TEST_FILE = "test_batch"
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
IMAGE_SHAPE = (3, 32, 32)
ROW_SIZE = 3 * 32 * 32  # one image: its red, green and blue 32x32 planes
CIFAR10_IMAGES_PER_BATCH = 10_000  # so 50,000 training and 10,000 test images

# Everything an official batch (or one re-saved with pickle protocol 2) refers to:
# NumPy's array reconstruction, under its NumPy 1 and NumPy 2 module names, and
# `_codecs.encode`, which is how Python 3 writes bytes in protocol 2.
ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): codecs.encode,
}


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for a global that a dataset file has no reason to use."""


class RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler whose `find_class` returns only ALLOWED_GLOBALS and refuses the rest.

    A pickle calls functions only through globals it names (`os.system`,
    `builtins.eval`, ...), so refusing every other global means loading the
    file cannot run anything but NumPy's array reconstruction.
    """

    def find_class(self, module: str, name: str):
        allowed = ALLOWED_GLOBALS.get((module, name))
        if allowed is None:
            permitted = ", ".join(f"{m}.{n}" for m, n in ALLOWED_GLOBALS)
            raise UnsafePickleError(
                f"refusing to load {module}.{name} from a dataset pickle: "
                f"only plain data and NumPy arrays are allowed ({permitted})"
            )
        return allowed


# What unpickling a damaged or truncated file raises: the pickle machinery's own errors,
# and those of the array reconstruction when the bytes it is handed do not fit.
DAMAGED_PICKLE_ERRORS = (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError,
                         IndexError, AttributeError, OverflowError)


def restricted_load(path) -> object:
    """Unpickle the file at `path` with RestrictedUnpickler (Python 2 strings read as bytes).

    A refused global raises UnsafePickleError; a damaged or truncated file
    raises DatasetFormatError naming the file, its size and what failed.
    """
    data = Path(path).read_bytes()
    try:
        return RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except UnsafePickleError as error:
        raise UnsafePickleError(f"{path}: {error}") from None
    except DAMAGED_PICKLE_ERRORS as error:
        raise DatasetFormatError(
            f"{path}: damaged or truncated, it is not a complete pickle "
            f"({len(data):,} bytes; {type(error).__name__}: {error})"
        ) from error


def load_cifar10(data_dir=None, images_per_batch: int | None = CIFAR10_IMAGES_PER_BATCH):
    """CIFAR-10 from the official python batches in `data_dir`.

    Looks in `data_dir/cifar-10-batches-py` and in `data_dir` itself. Returns
    `(x_train, y_train), (x_test, y_test)`: images float32 (N, 3, 32, 32) in
    [0, 1], labels int64 (see CIFAR10_CLASSES); the official 50,000 / 10,000 split.

    Every batch must hold `images_per_batch` images (the official 10,000);
    `images_per_batch=None` reads batches of any size in the official layout,
    a subset for instance, whose counts the caller should then report
    (`len(x_train)`, `len(x_test)`): it is not the official CIFAR-10.
    """
    folder = cifar10_folder(data_dir)
    train_batches = [read_cifar_batch(folder / name, images_per_batch)
                     for name in CIFAR10_TRAIN_FILES]
    x_train = np.concatenate([images for images, _ in train_batches])
    y_train = np.concatenate([labels for _, labels in train_batches])
    return (x_train, y_train), read_cifar_batch(folder / CIFAR10_TEST_FILE, images_per_batch)


def cifar10_folder(data_dir) -> Path:
    """The folder holding all six official batch files."""
    wanted = (*CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE)
    folders = [] if data_dir is None else [Path(data_dir) / CIFAR10_FOLDER, Path(data_dir)]
    for folder in folders:
        if all((folder / name).is_file() for name in wanted):
            return folder
    raise DatasetNotFoundError(
        f"CIFAR-10 (the python version: {', '.join(wanted)})",
        folders,
        "download and unpack the official cifar-10-python.tar.gz (it unpacks to "
        f"{CIFAR10_FOLDER}/), then pass the folder that holds it as data_dir (--data-dir); "
        "no Python or Debian package ships CIFAR-10 here",
    )


def read_cifar_batch(path: Path, images_per_batch: int | None = CIFAR10_IMAGES_PER_BATCH
                     ) -> tuple[np.ndarray, np.ndarray]:
    """One batch file as images float32 (N, 3, 32, 32) in [0, 1] and int64 labels.

    N must be `images_per_batch` unless that is None.
    """
    batch = restricted_load(path)
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise DatasetFormatError(
            f"{path}: expected a dict with keys b'data' and b'labels', got {keys}"
        )
    pixels = batch[b"data"]
    labels = np.asarray(batch[b"labels"])
    if not isinstance(pixels, np.ndarray) or pixels.dtype != np.uint8 or pixels.ndim != 2:
        kind = getattr(pixels, "dtype", type(pixels).__name__)
        raise DatasetFormatError(
            f"{path}: expected b'data' uint8 of shape (N, {ROW_SIZE}), "
            f"got {kind} {getattr(pixels, 'shape', None)}"
        )
    if pixels.shape[1] != ROW_SIZE:
        raise DatasetFormatError(
            f"{path}: expected b'data' uint8 of shape (N, {ROW_SIZE}): rows of {ROW_SIZE} "
            f"values (3 x 32 x 32 pixels) per image, got rows of {pixels.shape[1]}"
        )
    if images_per_batch is not None and len(pixels) != images_per_batch:
        raise DatasetFormatError(
            f"{path}: expected {images_per_batch:,} images, as in every official CIFAR-10 "
            f"batch, got {len(pixels):,} (images_per_batch=None reads a batch of any size)"
        )
    if (
        labels.shape != (len(pixels),)
        or labels.dtype.kind not in "iu"
        or labels.min(initial=0) < 0
        or labels.max(initial=0) >= len(CIFAR10_CLASSES)
    ):
        raise DatasetFormatError(
            f"{path}: expected {len(pixels)} labels in 0..9, got {labels.dtype} {labels.shape}"
        )
    images = pixels.reshape(-1, *IMAGE_SHAPE).astype(np.float32) / 255.0
    return images, labels.astype(np.int64)
