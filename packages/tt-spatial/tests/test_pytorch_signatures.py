"""Every public tt-spatial layer and function against its PyTorch counterpart.

Names, positional order and defaults must be PyTorch's; each row lists the
exceptions with their reason (``pytorch_signatures.check_signature`` says
what each kind allows).
"""

import pytest
import tinytorch.spatial as spatial
import tinytorch.spatial.functional as F
from ttdev.pytorch_signatures import check_signature

torch = pytest.importorskip("torch")
TF = torch.nn.functional

GENERATOR = "tinytorch's explicit random source (keyword-only)"
LAYER = "the name errors give (the module's repr when a layer calls it; keyword-only)"

# (ours, PyTorch's, {extra: reason}, {missing: reason}, {different default: reason})
TABLE = [
    (spatial.Conv2d.__init__, torch.nn.Conv2d.__init__, {}, {}, {}),
    (spatial.Conv1d.__init__, torch.nn.Conv1d.__init__, {}, {}, {}),
    (spatial.MaxPool2d.__init__, torch.nn.MaxPool2d.__init__, {}, {}, {}),
    (spatial.AvgPool2d.__init__, torch.nn.AvgPool2d.__init__, {}, {}, {}),
    (spatial.AdaptiveAvgPool2d.__init__, torch.nn.AdaptiveAvgPool2d.__init__, {}, {}, {}),
    (spatial.BatchNorm2d.__init__, torch.nn.BatchNorm2d.__init__, {}, {}, {}),
    (spatial.BatchNorm1d.__init__, torch.nn.BatchNorm1d.__init__, {}, {}, {}),
    (spatial.Dropout2d.__init__, torch.nn.Dropout2d.__init__, {}, {}, {}),
    (F.conv2d, TF.conv2d, {"layer": LAYER}, {}, {}),
    (F.conv1d, TF.conv1d, {"layer": LAYER}, {}, {}),
    (F.max_pool2d, TF.max_pool2d, {"layer": LAYER}, {}, {}),
    (F.avg_pool2d, TF.avg_pool2d, {"layer": LAYER}, {}, {}),
    (F.adaptive_avg_pool2d, TF.adaptive_avg_pool2d, {"layer": LAYER}, {}, {}),
    (F.batch_norm, TF.batch_norm, {"layer": LAYER}, {}, {}),
    (F.dropout2d, TF.dropout2d, {"generator": GENERATOR, "layer": LAYER}, {}, {}),
    (F.pad, TF.pad, {}, {}, {}),
]


@pytest.mark.parametrize(("ours", "theirs", "extra", "missing", "defaults"), TABLE,
                         ids=[row[0].__qualname__ for row in TABLE])
def test_signature_matches_pytorch(ours, theirs, extra, missing, defaults):
    check_signature(ours, theirs, extra, missing, defaults)


def test_avg_pool2d_fourth_positional_is_ceil_mode_as_pytorch():
    # Regression: the fourth positional parameter was count_include_pad.
    with pytest.raises(NotImplementedError, match=r"AvgPool2d: ceil_mode=True is not supported"):
        spatial.AvgPool2d(2, 2, 0, True)
    with pytest.raises(NotImplementedError, match=r"ceil_mode=True"):
        spatial.MaxPool2d(2, ceil_mode=True)
    with pytest.raises(NotImplementedError, match=r"return_indices=True"):
        spatial.MaxPool2d(2, 2, 0, 1, True)


@pytest.mark.parametrize("divisor", [1, 3, 7])
def test_avg_pool2d_divisor_override_matches_pytorch(divisor):
    import numpy as np
    from tinytorch.tensor import Tensor

    x = np.random.default_rng(0).standard_normal((2, 3, 7, 7)).astype(np.float32)
    ours = Tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = spatial.AvgPool2d(3, 2, 1, divisor_override=divisor)(ours)
    expected = torch.nn.AvgPool2d(3, 2, 1, divisor_override=divisor)(theirs)
    (out * out).sum().backward()
    (expected * expected).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_batch_norm_without_bias_learns_only_the_scale():
    norm = spatial.BatchNorm2d(4, bias=False)
    assert [name for name, _ in norm.named_parameters()] == ["weight"]


def test_conv2d_runs_on_the_cpu_only():
    assert spatial.Conv2d(1, 2, 3, device="cpu").weight.dtype.name == "float32"
    with pytest.raises(NotImplementedError, match="device='cuda'"):
        spatial.Conv2d(1, 2, 3, device="cuda")
