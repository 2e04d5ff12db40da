"""tinytorch.nn: neural network building blocks with PyTorch's names.

- ``Module`` and ``Parameter``: the base class of every layer and model, with
  automatic registration, ``named_parameters()``, ``train()``/``eval()``,
  ``state_dict()``/``load_state_dict()``.
- Layers: ``Linear``, ``Identity``, ``Flatten``, ``Dropout``; containers
  ``Sequential``, ``ModuleList``, ``ModuleDict``.
- Activations: ``ReLU``, ``LeakyReLU``, ``Tanh``, ``Sigmoid``, ``GELU``,
  ``SiLU``, ``Softmax``, ``LogSoftmax``.
- Losses: ``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss``, ``NLLLoss``,
  ``CrossEntropyLoss``.
- ``tinytorch.nn.functional`` (the same math as functions) and
  ``tinytorch.nn.init`` (weight initialisation).
"""

from . import functional, init
from .__about__ import __version__
from .activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Tanh
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .linear import Flatten, Identity, Linear
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, NLLLoss
from .module import IncompatibleKeys, Module
from .parameter import Parameter

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GELU",
    "Identity",
    "IncompatibleKeys",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "__version__",
    "functional",
    "init",
]
