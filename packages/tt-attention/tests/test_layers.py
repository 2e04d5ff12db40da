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
    mha = MultiheadAttention(
        embed_dim, num_heads, batch_first=True, generator=np.random.default_rng(1)
    )
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
    x = Tensor(np.zeros((2, 5, 6), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected query of shape \(L, N, 8\)"):
        MultiheadAttention(8, 2)(x, x, x)
    with pytest.raises(ValueError, match=r"expected query of shape \(N, L, 8\)"):
        MultiheadAttention(8, 2, batch_first=True)(x, x, x)


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


@pytest.mark.parametrize("batch_first", [True, False])
def test_multihead_attention_without_weights_applies_the_same_masks(batch_first, rng):
    mha = MultiheadAttention(8, 2, batch_first=batch_first, generator=np.random.default_rng(1))
    shape = (2, 4, 8) if batch_first else (4, 2, 8)
    x = Tensor(rng.standard_normal(shape).astype(np.float32))
    padding = np.array([[False, False, False, True], [False, True, False, False]])
    blocked = np.zeros((4, 4), dtype=bool)
    blocked[0, 2] = True
    masks = dict(key_padding_mask=padding, attn_mask=blocked, is_causal=True)
    with_weights, _ = mha(x, x, x, need_weights=True, **masks)
    without, _ = mha(x, x, x, need_weights=False, **masks)
    np.testing.assert_allclose(without.data, with_weights.data, atol=1e-6)


def test_multihead_is_causal_adds_to_a_key_padding_mask(rng):
    mha = _mha(dtype=np.float32)
    x = Tensor(rng.standard_normal((2, 4, 8)).astype(np.float32))
    padding = np.array([[False, False, True, False], [False, False, False, False]])
    out, weights = mha(x, x, x, key_padding_mask=padding, is_causal=True)
    explicit = ~np.tri(4, dtype=bool)   # True = blocked: every key after the query
    expected, expected_weights = mha(x, x, x, key_padding_mask=padding, attn_mask=explicit)
    np.testing.assert_allclose(out.data, expected.data, atol=1e-6)
    np.testing.assert_allclose(weights.data, expected_weights.data, atol=1e-6)
    np.testing.assert_array_equal(weights.data[0, :, 2], 0)


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
    ours = MultiheadAttention(embed_dim, num_heads, batch_first=True)
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


def _copied_pair(torch, embed_dim=16, num_heads=4, **kwargs):
    """A torch.nn.MultiheadAttention and ours with the same weights and arguments."""
    theirs = torch.nn.MultiheadAttention(embed_dim, num_heads, **kwargs)
    with torch.no_grad():
        theirs.in_proj_bias.normal_()
        theirs.out_proj.bias.normal_()
    ours = MultiheadAttention(embed_dim, num_heads, **kwargs)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    return theirs, ours


@pytest.mark.parametrize("average", [True, False])
def test_multihead_attention_defaults_match_pytorch_on_sequence_first_input(average, rng):
    # PyTorch's defaults: batch_first=False, so (L, N, E); need_weights=True.
    torch = pytest.importorskip("torch")
    theirs, ours = _copied_pair(torch)
    query = rng.standard_normal((5, 2, 16)).astype(np.float32)  # (L, N, E)
    memory = rng.standard_normal((7, 2, 16)).astype(np.float32)  # (S, N, E)
    padding = np.zeros((2, 7), dtype=bool)
    padding[1, 4:] = True
    tq, tm = torch.tensor(query, requires_grad=True), torch.tensor(memory, requires_grad=True)
    expected, expected_weights = theirs(
        tq, tm, tm, key_padding_mask=torch.tensor(padding), average_attn_weights=average
    )
    # the loss reaches the weights too: they carry a gradient, as in PyTorch
    ((expected * expected).sum() + (expected_weights * expected_weights).sum() * 3).backward()

    q, m = Tensor(query, requires_grad=True), Tensor(memory, requires_grad=True)
    out, weights = ours(q, m, m, key_padding_mask=padding, average_attn_weights=average)
    ((out * out).sum() + (weights * weights).sum() * 3).backward()

    assert out.shape == (5, 2, 16)
    assert weights.shape == ((2, 5, 7) if average else (2, 4, 5, 7))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(weights.data, expected_weights.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(q.grad.data, tq.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(m.grad.data, tm.grad.numpy(), atol=1e-4)
    np.testing.assert_allclose(
        ours.in_proj_weight.grad.data, theirs.in_proj_weight.grad.numpy(), atol=1e-4
    )


def test_multihead_attention_weights_gradcheck(leaf):
    mha = _mha()
    query, memory = leaf(2, 3, 8), leaf(2, 4, 8)
    assert gradcheck(
        lambda q, m, w: mha(q, m, m, average_attn_weights=False)[1], query, memory,
        mha.in_proj_weight,
    )


def test_multihead_attention_signature_matches_pytorch():
    torch = pytest.importorskip("torch")
    import inspect

    def parameters(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]

    # ours ends with a generator (tinytorch's explicit random source); the rest is PyTorch's
    assert parameters(MultiheadAttention.__init__)[:-1] == parameters(
        torch.nn.MultiheadAttention.__init__
    )
    assert parameters(MultiheadAttention.forward) == parameters(torch.nn.MultiheadAttention.forward)


def test_multihead_attention_positional_order_is_pytorchs():
    mha = MultiheadAttention(8, 2, 0.25, False)  # embed_dim, num_heads, dropout, bias
    assert mha.dropout == 0.25 and mha.in_proj_bias is None and mha.out_proj.bias is None
    assert mha.batch_first is False


def test_multihead_attention_need_weights_false_returns_none():
    mha = MultiheadAttention(8, 2)
    x = Tensor(np.ones((3, 2, 8), dtype=np.float32))
    out, weights = mha(x, x, x, need_weights=False)
    assert weights is None and out.shape == (3, 2, 8)


@pytest.mark.parametrize("name", ["key_padding_mask", "attn_mask"])
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8])
def test_multihead_attention_refuses_integer_masks(name, dtype):
    # An integer mask used to be added to the scores: 0/1 instead of "blocked".
    mha = MultiheadAttention(8, 2, batch_first=True)
    x = Tensor(np.ones((2, 4, 8), dtype=np.float32))
    mask = np.zeros((2, 4) if name == "key_padding_mask" else (4, 4), dtype=dtype)
    with pytest.raises(TypeError, match=rf"only bool and floating point {name}.*got dtype"):
        mha(x, x, x, **{name: mask})


@pytest.mark.parametrize(
    ("name", "shape", "expected"),
    [
        ("key_padding_mask", (2, 5), r"\(2, 4\)"),
        ("key_padding_mask", (4,), r"\(2, 4\)"),
        ("attn_mask", (4, 5), r"\(3, 4\) or \(4, 3, 4\)"),
        ("attn_mask", (2, 3, 4), r"\(3, 4\) or \(4, 3, 4\)"),
    ],
)
def test_multihead_attention_names_the_expected_mask_shape(name, shape, expected):
    mha = MultiheadAttention(8, 2, batch_first=True)
    query = Tensor(np.ones((2, 3, 8), dtype=np.float32))
    memory = Tensor(np.ones((2, 4, 8), dtype=np.float32))
    with pytest.raises(ValueError, match=rf"expected {name} of shape {expected}, got"):
        mha(query, memory, memory, **{name: np.zeros(shape, dtype=bool)})


def test_multihead_attention_float_masks_are_added_as_pytorch(rng):
    torch = pytest.importorskip("torch")
    theirs, ours = _copied_pair(torch, batch_first=True)
    x = rng.standard_normal((2, 4, 16)).astype(np.float32)
    attn = rng.standard_normal((2 * 4, 4, 4)).astype(np.float32)  # (N * H, L, S)
    padding = np.where(np.arange(4) >= 3, -np.inf, 0.0)[None].repeat(2, 0).astype(np.float32)
    tx = torch.tensor(x)
    expected, expected_weights = theirs(
        tx, tx, tx, attn_mask=torch.tensor(attn), key_padding_mask=torch.tensor(padding)
    )
    out, weights = ours(Tensor(x), Tensor(x), Tensor(x), attn_mask=attn, key_padding_mask=padding)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(weights.data, expected_weights.detach().numpy(), atol=1e-6)


def test_multihead_attention_refuses_unimplemented_pytorch_options():
    with pytest.raises(NotImplementedError, match="add_bias_kv=True is not supported"):
        MultiheadAttention(8, 2, add_bias_kv=True)
    with pytest.raises(NotImplementedError, match="kdim=4"):
        MultiheadAttention(8, 2, kdim=4)
    assert MultiheadAttention(8, 2, kdim=8, vdim=8, device="cpu").embed_dim == 8
    assert MultiheadAttention(8, 2, dtype=np.float64).in_proj_weight.dtype == np.float64


@pytest.mark.parametrize("p", [-0.5, 1.5, float("nan")])
def test_multihead_attention_refuses_a_dropout_outside_zero_one(p):
    # Regression: dropout=1.5 silently zeroed every attention weight.
    with pytest.raises(ValueError, match=r"MultiheadAttention: dropout probability has to be "
                                         r"between 0 and 1, but got"):
        MultiheadAttention(8, 2, dropout=p)


def test_multihead_attention_dropout_one_gives_zero_weights_in_training():
    mha = MultiheadAttention(8, 2, dropout=1.0)
    x = Tensor(np.ones((3, 2, 8), dtype=np.float32), requires_grad=True)
    out, weights = mha(x, x, x)
    np.testing.assert_array_equal(weights.data, 0)
    np.testing.assert_allclose(out.data, np.broadcast_to(mha.out_proj.bias.data, out.shape))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, 0)


def test_multihead_attention_in_eval_mode_applies_no_dropout():
    rng = np.random.default_rng(4)
    dropped = MultiheadAttention(8, 2, dropout=0.5, batch_first=True)
    plain = MultiheadAttention(8, 2, batch_first=True)
    plain.load_state_dict(dropped.state_dict())
    dropped.eval()
    x = Tensor(rng.standard_normal((2, 3, 8)).astype(np.float32))
    out, weights = dropped(x, x, x)
    expected_out, expected_weights = plain(x, x, x)
    np.testing.assert_allclose(out.data, expected_out.data, rtol=1e-6)
    np.testing.assert_allclose(weights.data, expected_weights.data, rtol=1e-6)


def test_multihead_attention_refuses_a_bool_dropout_from_the_old_positional_order():
    # MultiheadAttention(E, H, True) meant bias=True before the PyTorch order.
    with pytest.raises(TypeError, match="must be a number, got True"):
        MultiheadAttention(8, 2, True)


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_unbatched_input_matches_pytorch(batch_first, rng):
    torch = pytest.importorskip("torch")
    theirs, ours = _copied_pair(torch, batch_first=batch_first)
    query = rng.standard_normal((5, 16)).astype(np.float32)  # (L, E), no batch axis
    memory = rng.standard_normal((6, 16)).astype(np.float32)
    padding = np.array([False, False, False, False, True, True])
    expected, expected_weights = theirs(
        torch.tensor(query), torch.tensor(memory), torch.tensor(memory),
        key_padding_mask=torch.tensor(padding), average_attn_weights=False,
    )
    m = Tensor(memory)
    out, weights = ours(Tensor(query), m, m, key_padding_mask=padding, average_attn_weights=False)
    assert out.shape == (5, 16) and weights.shape == (4, 5, 6)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(weights.data, expected_weights.detach().numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="an unbatched query .* needs unbatched key and value"):
        ours(Tensor(query), Tensor(memory[None]), Tensor(memory[None]))
