"""Embedding, positional encodings, LayerNorm, MultiheadAttention: gradcheck, PyTorch parity."""

import numpy as np
import pytest
from tinytorch.attention import (
    Embedding,
    LayerNorm,
    LearnedPositionalEmbedding,
    MultiheadAttention,
    SinusoidalPositionalEncoding,
)
from tinytorch.autograd import gradcheck
from tinytorch.tensor import Tensor


def test_embedding_module_shapes_and_parameters():
    emb = Embedding(65, 16, generator=np.random.default_rng(0))
    out = emb(np.array([[1, 2, 3], [4, 5, 6]]))
    assert out.shape == (2, 3, 16) and out.dtype == np.float32
    assert [name for name, _ in emb.named_parameters()] == ["weight"]


def test_embedding_module_gradcheck(leaf):
    emb = Embedding(6, 4).double()
    indices = np.array([[0, 5, 5], [2, 2, 1]])
    assert gradcheck(lambda w: emb(indices), emb.weight)


def test_embedding_padding_row_starts_at_zero_and_learns_nothing():
    emb = Embedding(5, 3, padding_idx=0)
    np.testing.assert_array_equal(emb.weight.data[0], 0)
    emb(np.array([0, 0, 1])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.data[0], 0)
    np.testing.assert_array_equal(emb.weight.grad.data[1], 1)


def test_embedding_module_out_of_range_error():
    with pytest.raises(IndexError, match=r"index 65 is out of range for num_embeddings=65"):
        Embedding(65, 4)(np.array([3, 65]))


def test_learned_positions_reject_positions_past_max_len():
    pos = LearnedPositionalEmbedding(8, 4)
    assert pos(np.arange(8)).shape == (8, 4)
    with pytest.raises(IndexError, match="position 8 is past the 8 positions"):
        pos(np.arange(9))


def test_sinusoidal_encoding_is_constant_and_not_a_parameter():
    pe = SinusoidalPositionalEncoding(16, max_len=32)
    assert list(pe.parameters()) == []
    out = pe(np.arange(5))
    assert out.shape == (5, 16) and not out.requires_grad
    np.testing.assert_allclose(out.data[0, 1::2], 1.0)


def test_layer_norm_module_gradcheck(leaf):
    ln = LayerNorm(6).double()
    ln.weight.data[...] = np.linspace(0.5, 2, 6)
    ln.bias.data[...] = np.linspace(-1, 1, 6)
    x = leaf(3, 4, 6)
    assert gradcheck(lambda x, w, b: ln(x), x, ln.weight, ln.bias)


def test_layer_norm_without_affine_has_no_parameters():
    ln = LayerNorm(8, elementwise_affine=False)
    assert list(ln.parameters()) == []
    assert ln(Tensor(np.random.default_rng(0).standard_normal((2, 8)))).shape == (2, 8)


def _mha(embed_dim=8, num_heads=2, dtype=np.float64):
    mha = MultiheadAttention(embed_dim, num_heads, generator=np.random.default_rng(1))
    mha.in_proj_bias.data[...] = np.random.default_rng(2).standard_normal(3 * embed_dim)
    return mha.double() if dtype == np.float64 else mha


def test_multihead_self_attention_gradcheck(leaf):
    mha = _mha()
    x = leaf(2, 5, 8)
    params = [mha.in_proj_weight, mha.in_proj_bias, mha.out_proj.weight, mha.out_proj.bias]
    assert gradcheck(lambda x, *p: mha(x, x, x, is_causal=True)[0], x, *params)


def test_multihead_cross_attention_gradcheck(leaf):
    mha = _mha()
    query, memory = leaf(2, 3, 8), leaf(2, 6, 8)
    assert gradcheck(lambda q, m, w: mha(q, m, m)[0], query, memory, mha.in_proj_weight)


def test_multihead_attention_with_separate_key_and_value_gradcheck(leaf):
    mha = _mha()
    query, key, value = leaf(2, 3, 8), leaf(2, 4, 8), leaf(2, 4, 8)
    padding = np.array([[False, False, True, True], [False, False, False, False]])
    assert gradcheck(lambda q, k, v: mha(q, k, v, key_padding_mask=padding)[0], query, key, value)


def test_multihead_attention_rejects_bad_shapes():
    with pytest.raises(ValueError, match="divisible"):
        MultiheadAttention(10, 3)
    mha = MultiheadAttention(8, 2)
    x = Tensor(np.zeros((2, 5, 6), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected query of shape \(N, L, 8\)"):
        mha(x, x, x)


def test_multihead_causal_cross_attention_is_top_left_aligned_with_or_without_a_mask(rng):
    # Regression: is_causal used to be top-left aligned without attn_mask (through
    # scaled_dot_product_attention) but bottom-right aligned with one, and in the weights.
    mha = _mha(dtype=np.float32)
    query = Tensor(rng.standard_normal((1, 2, 8)).astype(np.float32))
    memory = Tensor(rng.standard_normal((1, 4, 8)).astype(np.float32))
    out, weights = mha(query, memory, memory, is_causal=True, need_weights=True)
    zeros = np.zeros((2, 4), dtype=np.float32)
    masked, masked_weights = mha(
        query, memory, memory, attn_mask=zeros, is_causal=True, need_weights=True
    )
    blocked = ~np.tri(2, 4, dtype=bool)  # query i sees keys j <= i
    np.testing.assert_array_equal(weights.data[:, blocked], 0)
    assert (weights.data[:, ~blocked] > 0).all()
    np.testing.assert_allclose(masked.data, out.data, atol=1e-6)
    np.testing.assert_allclose(masked_weights.data, weights.data, atol=1e-6)


def test_multihead_attention_parameter_names_match_pytorch():
    names = [name for name, _ in MultiheadAttention(8, 2).named_parameters()]
    assert names == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]


@pytest.mark.parametrize("case", ["self", "causal", "cross", "padding"])
def test_multihead_attention_matches_pytorch_with_copied_weights(case, rng):
    torch = pytest.importorskip("torch")
    embed_dim, num_heads = 16, 4
    theirs = torch.nn.MultiheadAttention(embed_dim, num_heads, batch_first=True)
    with torch.no_grad():
        theirs.in_proj_bias.normal_()
        theirs.out_proj.bias.normal_()
    ours = MultiheadAttention(embed_dim, num_heads)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})

    query = rng.standard_normal((2, 5, embed_dim)).astype(np.float32)
    memory = rng.standard_normal((2, 7, embed_dim)).astype(np.float32) if case == "cross" else query
    kwargs_ours, kwargs_theirs = {}, {}
    if case == "causal":
        blocked = ~np.tril(np.ones((5, 5), dtype=bool))
        kwargs_ours = {"attn_mask": blocked}
        kwargs_theirs = {"attn_mask": torch.tensor(blocked)}
    if case == "padding":
        padding = np.zeros((2, 5), dtype=bool)
        padding[0, 3:] = True
        kwargs_ours = {"key_padding_mask": padding}
        kwargs_theirs = {"key_padding_mask": torch.tensor(padding)}

    tq = torch.tensor(query, requires_grad=True)
    tm = tq if case != "cross" else torch.tensor(memory, requires_grad=True)
    expected, expected_weights = theirs(tq, tm, tm, need_weights=True, **kwargs_theirs)
    (expected * expected).sum().backward()

    q = Tensor(query, requires_grad=True)
    m = q if case != "cross" else Tensor(memory, requires_grad=True)
    out, weights = ours(q, m, m, need_weights=True, **kwargs_ours)
    (out * out).sum().backward()

    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(weights.data, expected_weights.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(q.grad.data, tq.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(
        ours.in_proj_weight.grad.data, theirs.in_proj_weight.grad.numpy(), atol=1e-4
    )
    np.testing.assert_allclose(
        ours.out_proj.weight.grad.data, theirs.out_proj.weight.grad.numpy(), atol=1e-4
    )


def test_layer_norm_module_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LayerNorm(12)
    with torch.no_grad():
        theirs.weight.normal_()
        theirs.bias.normal_()
    ours = LayerNorm(12)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((4, 3, 12)).astype(np.float32)
    np.testing.assert_allclose(
        ours(Tensor(x)).data, theirs(torch.tensor(x)).detach().numpy(), atol=1e-5
    )
