"""Datasets, the DataLoader and image transforms (`tinytorch.optim.data`)."""

from .dataset import ArrayDataset, Dataset, Subset, TensorDataset, random_split
from .loader import DataLoader, default_collate
from .transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip

__all__ = [
    "ArrayDataset",
    "Compose",
    "DataLoader",
    "Dataset",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]
