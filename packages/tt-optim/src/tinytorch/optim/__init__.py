"""tinytorch.optim: optimizers, learning-rate schedules, data loading and training.

Data: `Dataset`, `TensorDataset`, `ArrayDataset`, `Subset`, `random_split`,
`DataLoader` (here and in `tinytorch.optim.data`, with the transforms);
real-data loaders live in `tinytorch.optim.datasets`.
"""

from .__about__ import __version__
from .data import (
    ArrayDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)

# --- Optimizers, LR schedules, grad clipping, Trainer, checkpoints ----------
# (added by the optimizer work: import them here and list them in __all__)

__all__ = [
    "__version__",
    # data
    "ArrayDataset",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
    # optimizers, schedules, training: add here
]
