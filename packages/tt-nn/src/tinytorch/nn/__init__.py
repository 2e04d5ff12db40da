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
from .container import ModuleDict, ModuleList, Sequential
from .linear import Flatten, Identity, Linear
from .module import Module
from .parameter import Parameter

__all__ = [
    "Flatten",
    "Identity",
    "Linear",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "Sequential",
    "__version__",
    "functional",
    "init",
]
