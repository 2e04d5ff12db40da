"""Every public tt-attention layer and function against its PyTorch counterpart.

Names, positional order and defaults must be PyTorch's; each row lists the
exceptions with their reason (``pytorch_signatures.check_signature`` says
what each kind allows). Tokenizers, positional encodings, ``TransformerBlock``
and ``GPT`` have no PyTorch counterpart.
"""

import pytest
from tinytorch import attention
from tinytorch.attention import functional as F
from ttdev.pytorch_signatures import check_signature

torch = pytest.importorskip("torch")
TF = torch.nn.functional

GENERATOR = "tinytorch's explicit random source (keyword-only)"

# (ours, PyTorch's, {extra: reason}, {missing: reason}, {different default: reason})
TABLE = [
    (attention.MultiheadAttention.__init__, torch.nn.MultiheadAttention.__init__,
     {"generator": GENERATOR}, {}, {}),
    (attention.MultiheadAttention.forward, torch.nn.MultiheadAttention.forward, {}, {}, {}),
    (attention.LayerNorm.__init__, torch.nn.LayerNorm.__init__, {}, {}, {}),
    (attention.Embedding.__init__, torch.nn.Embedding.__init__, {"generator": GENERATOR}, {}, {}),
    (F.embedding, TF.embedding, {}, {}, {}),
    (F.layer_norm, TF.layer_norm, {}, {}, {}),
    (F.scaled_dot_product_attention, TF.scaled_dot_product_attention, {"generator": GENERATOR},
     {"enable_gqa": "grouped-query attention (fewer key/value heads) is not implemented"}, {}),
]


@pytest.mark.parametrize(("ours", "theirs", "extra", "missing", "defaults"), TABLE,
                         ids=[row[0].__qualname__ for row in TABLE])
def test_signature_matches_pytorch(ours, theirs, extra, missing, defaults):
    check_signature(ours, theirs, extra, missing, defaults)


def test_layer_norm_without_bias_matches_pytorch():
    import numpy as np
    from tinytorch.tensor import Tensor

    theirs = torch.nn.LayerNorm(6, bias=False)
    ours = attention.LayerNorm(6, bias=False)
    assert [name for name, _ in ours.named_parameters()] == ["weight"]
    x = np.random.default_rng(0).standard_normal((3, 6)).astype(np.float32)
    np.testing.assert_allclose(
        ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-6
    )


def test_embedding_refuses_the_pytorch_options_it_does_not_implement():
    with pytest.raises(NotImplementedError, match=r"Embedding: max_norm=1.0 is not supported"):
        attention.Embedding(4, 2, max_norm=1.0)
    with pytest.raises(NotImplementedError, match=r"embedding: sparse=True"):
        F.embedding([0], attention.Embedding(4, 2).weight, sparse=True)
    assert attention.Embedding(4, 2, dtype="float64").weight.dtype == "float64"
