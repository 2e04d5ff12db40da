"""tinytorch.optim: optimizers, learning-rate schedules, data loading and training.

Optimizers: `SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad` (base class `Optimizer`),
with PyTorch's update rules. Schedules: `tinytorch.optim.lr_scheduler`.
Gradient clipping: `clip_grad_norm_`, `clip_grad_value_` (PyTorch keeps them in
`torch.nn.utils`; here they sit beside the optimizers).
Training: `Trainer`, `EarlyStopping`, `NonFiniteLossError`, `NonFiniteGradientError`,
`NonFiniteMetricError`; checkpoints that run
no code on load: `save_checkpoint`, `load_checkpoint`.

Data: `Dataset`, `TensorDataset`, `ArrayDataset`, `Subset`, `random_split`,
`DataLoader` (here and in `tinytorch.optim.data`, with the transforms);
real-data loaders live in `tinytorch.optim.datasets`.
"""

from . import lr_scheduler
from .__about__ import __version__
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .clip import NonFiniteGradientError, clip_grad_norm_, clip_grad_value_
from .data import (
    ArrayDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD
from .trainer import (
    EarlyStopping,
    NonFiniteLossError,
    NonFiniteMetricError,
    Trainer,
)

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
    # optimizers, schedules, training
    "Adagrad",
    "Adam",
    "AdamW",
    "NonFiniteGradientError",
    "Optimizer",
    "RMSprop",
    "SGD",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
    "CheckpointError",
    "EarlyStopping",
    "NonFiniteLossError",
    "NonFiniteMetricError",
    "Trainer",
    "load_checkpoint",
    "save_checkpoint",
]
