"""Every public tt-optim optimizer, schedule and data class against its PyTorch counterpart.

Names, positional order and defaults must be PyTorch's; each row lists the
exceptions with their reason (``pytorch_signatures.check_signature`` says
what each kind allows).
"""

import inspect

import pytest
from tinytorch import optim
from tinytorch.optim import data, lr_scheduler
from ttdev.pytorch_signatures import check_signature

torch = pytest.importorskip("torch")

IMPLEMENTATION = "PyTorch's choice of kernel or graph capture; tinytorch has one implementation"
MAXIMIZE = "gradient ascent; not implemented (negate the loss)"
OPTIMIZER_SWITCHES = {"foreach": IMPLEMENTATION, "capturable": IMPLEMENTATION,
                      "differentiable": IMPLEMENTATION, "fused": IMPLEMENTATION,
                      "maximize": MAXIMIZE}
WORKERS = "worker processes, pinned memory and their options: tinytorch loads in-process"
SEED = "an int seed for the shuffling (keyword-only); PyTorch takes a torch.Generator"


def _switches(theirs):
    """The implementation switches (and maximize) that this PyTorch optimizer takes."""
    present = inspect.signature(theirs).parameters
    return {name: reason for name, reason in OPTIMIZER_SWITCHES.items() if name in present}


# (ours, PyTorch's, {extra: reason}, {missing: reason}, {different default: reason})
TABLE = [
    (optim.SGD.__init__, torch.optim.SGD.__init__, {}, _switches(torch.optim.SGD.__init__), {}),
    (optim.Adam.__init__, torch.optim.Adam.__init__, {},
     {**_switches(torch.optim.Adam.__init__),
      "decoupled_weight_decay": "use AdamW, the same update"}, {}),
    (optim.AdamW.__init__, torch.optim.AdamW.__init__, {},
     _switches(torch.optim.AdamW.__init__), {}),
    (optim.RMSprop.__init__, torch.optim.RMSprop.__init__, {},
     _switches(torch.optim.RMSprop.__init__), {}),
    (optim.Adagrad.__init__, torch.optim.Adagrad.__init__, {},
     _switches(torch.optim.Adagrad.__init__), {}),
    (optim.Optimizer.__init__, torch.optim.Optimizer.__init__, {}, {}, {}),
    (optim.clip_grad_norm_, torch.nn.utils.clip_grad_norm_, {}, {"foreach": IMPLEMENTATION},
     {"error_if_nonfinite": "a NaN or inf gradient norm is an error by default, never a "
                            "silent NaN update (pass False for PyTorch's behaviour)"}),
    (optim.clip_grad_value_, torch.nn.utils.clip_grad_value_,
     {"error_if_nonfinite": "raises on NaN or inf gradients, as clip_grad_norm_ (keyword-only)"},
     {"foreach": IMPLEMENTATION}, {}),
    (data.DataLoader.__init__, torch.utils.data.DataLoader.__init__, {"seed": SEED},
     {"timeout": WORKERS, "worker_init_fn": WORKERS, "multiprocessing_context": WORKERS,
      "generator": SEED, "prefetch_factor": WORKERS, "persistent_workers": WORKERS,
      "pin_memory_device": WORKERS, "in_order": WORKERS}, {}),
    (data.random_split, torch.utils.data.random_split, {"seed": SEED}, {"generator": SEED}, {}),
    (data.default_collate, torch.utils.data.default_collate, {}, {}, {}),
    (data.TensorDataset.__init__, torch.utils.data.TensorDataset.__init__, {}, {}, {}),
    (data.Subset.__init__, torch.utils.data.Subset.__init__, {}, {}, {}),
] + [
    (getattr(lr_scheduler, name).__init__, getattr(torch.optim.lr_scheduler, name).__init__,
     {}, {}, {})
    for name in ("LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "LinearLR",
                 "CosineAnnealingLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR")
]


@pytest.mark.parametrize(("ours", "theirs", "extra", "missing", "defaults"), TABLE,
                         ids=[row[0].__qualname__ for row in TABLE])
def test_signature_matches_pytorch(ours, theirs, extra, missing, defaults):
    check_signature(ours, theirs, extra, missing, defaults)
