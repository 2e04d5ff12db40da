"""Every public tt-nn layer and function against its PyTorch counterpart: names, order, defaults.

Each row names the PyTorch object and the exceptions, each with its reason
(the checker, ``pytorch_signatures.check_signature``, says what each kind allows).
``Module``, ``Tanh`` and ``Sigmoid`` take no arguments here; PyTorch's take
``Module.__init__``'s ``(*args, **kwargs)``, which they ignore, so they have no row.
"""

import pytest
import tinytorch.nn as nn
import tinytorch.nn.functional as F
import tinytorch.nn.init as init
from ttdev.pytorch_signatures import check_signature

torch = pytest.importorskip("torch")

SILU_INPLACE = "an in-place SiLU overwrites the input its gradient needs; not implemented"
GENERATOR = "tinytorch's explicit random source (keyword-only)"
IMPLICIT_DIM = "PyTorch's None is a deprecated implicit choice of dim (with a warning); -1 here"

# (ours, PyTorch's, {extra: reason}, {missing: reason}, {different default: reason})
TABLE = [
    (nn.Linear.__init__, torch.nn.Linear.__init__, {}, {}, {}),
    (nn.Identity.__init__, torch.nn.Identity.__init__, {}, {}, {}),
    (nn.Flatten.__init__, torch.nn.Flatten.__init__, {}, {}, {}),
    (nn.Dropout.__init__, torch.nn.Dropout.__init__, {"generator": GENERATOR}, {}, {}),
    (nn.ReLU.__init__, torch.nn.ReLU.__init__, {}, {}, {}),
    (nn.LeakyReLU.__init__, torch.nn.LeakyReLU.__init__, {}, {}, {}),
    (nn.SiLU.__init__, torch.nn.SiLU.__init__, {}, {"inplace": SILU_INPLACE}, {}),
    (nn.GELU.__init__, torch.nn.GELU.__init__, {}, {}, {}),
    (nn.Softmax.__init__, torch.nn.Softmax.__init__, {}, {}, {"dim": IMPLICIT_DIM}),
    (nn.LogSoftmax.__init__, torch.nn.LogSoftmax.__init__, {}, {}, {"dim": IMPLICIT_DIM}),
    (nn.MSELoss.__init__, torch.nn.MSELoss.__init__, {}, {}, {}),
    (nn.BCELoss.__init__, torch.nn.BCELoss.__init__, {}, {}, {}),
    (nn.BCEWithLogitsLoss.__init__, torch.nn.BCEWithLogitsLoss.__init__, {}, {}, {}),
    (nn.NLLLoss.__init__, torch.nn.NLLLoss.__init__, {}, {}, {}),
    (nn.CrossEntropyLoss.__init__, torch.nn.CrossEntropyLoss.__init__, {}, {}, {}),
    (nn.Parameter.__init__, torch.nn.Parameter.__new__, {}, {}, {}),
    (F.linear, torch.nn.functional.linear, {}, {}, {}),
    (F.relu, torch.nn.functional.relu, {}, {}, {}),
    (F.leaky_relu, torch.nn.functional.leaky_relu, {}, {}, {}),
    (F.silu, torch.nn.functional.silu, {}, {"inplace": SILU_INPLACE}, {}),
    (F.gelu, torch.nn.functional.gelu, {}, {}, {}),
    (F.tanh, torch.nn.functional.tanh, {}, {}, {}),
    (F.sigmoid, torch.nn.functional.sigmoid, {}, {}, {}),
    (F.softmax, torch.nn.functional.softmax, {}, {}, {"dim": IMPLICIT_DIM}),
    (F.log_softmax, torch.nn.functional.log_softmax, {}, {}, {"dim": IMPLICIT_DIM}),
    (F.dropout, torch.nn.functional.dropout, {"generator": GENERATOR}, {}, {}),
    (F.mse_loss, torch.nn.functional.mse_loss, {},
     {"weight": "per-element loss weights (new in PyTorch 2.x); not implemented"}, {}),
    (F.binary_cross_entropy, torch.nn.functional.binary_cross_entropy, {}, {}, {}),
    (F.binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits,
     {}, {}, {}),
    (F.nll_loss, torch.nn.functional.nll_loss, {}, {}, {}),
    (F.cross_entropy, torch.nn.functional.cross_entropy, {}, {}, {}),
    (nn.ModuleList.__init__, torch.nn.ModuleList.__init__, {}, {}, {}),
    (nn.ModuleDict.__init__, torch.nn.ModuleDict.__init__, {}, {}, {}),
    (nn.Sequential.__init__, torch.nn.Sequential.__init__, {"*modules": "the same *args"},
     {"*args": "the same *modules"}, {}),
] + [
    (getattr(init, name), getattr(torch.nn.init, name), {}, {}, {})
    for name in ("uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                 "kaiming_normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
                 "calculate_gain")
]


@pytest.mark.parametrize(("ours", "theirs", "extra", "missing", "defaults"), TABLE,
                         ids=[row[0].__qualname__ for row in TABLE])
def test_signature_matches_pytorch(ours, theirs, extra, missing, defaults):
    check_signature(ours, theirs, extra, missing, defaults)


def test_softmax_dtype_casts_first_as_pytorch():
    import numpy as np
    from tinytorch.tensor import Tensor

    x = np.array([[1.0, 2.0, 30.0]], dtype=np.float32)
    for ours, theirs in ((F.softmax, torch.nn.functional.softmax),
                         (F.log_softmax, torch.nn.functional.log_softmax)):
        out = ours(Tensor(x), dim=1, dtype=np.float64)
        expected = theirs(torch.tensor(x), dim=1, dtype=torch.float64)
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-12)
