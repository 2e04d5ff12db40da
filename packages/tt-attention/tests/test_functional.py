"""Fused Functions: gradcheck in float64, masks, numerical stability, PyTorch parity."""

import numpy as np
import pytest
from tinytorch.attention import functional as F
from tinytorch.autograd import FunctionCtx, gradcheck
from tinytorch.tensor import Tensor

# ----------------------------------------------------------------------------- embedding


def test_embedding_gradcheck_with_repeated_indices(leaf):
    weight = leaf(7, 5)
    indices = np.array([[1, 2, 1], [6, 0, 1]])
    assert gradcheck(lambda w: F.embedding(indices, w), weight)


def test_embedding_accumulates_repeated_rows_and_zeroes_padding(rng):
    weight = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    out = F.embedding(np.array([0, 2, 2, 2, 3]), weight, padding_idx=3)
    out.sum().backward()
    np.testing.assert_allclose(weight.grad.data[:, 0], [1.0, 0.0, 3.0, 0.0])


def test_embedding_out_of_range_index_names_index_and_vocabulary():
    weight = Tensor(np.zeros((7, 2), dtype=np.float32))
    with pytest.raises(IndexError, match=r"index 9 is out of range for num_embeddings=7"):
        F.embedding(np.array([0, 9]), weight)
    with pytest.raises(IndexError, match=r"index -1"):
        F.embedding(np.array([-1]), weight)
    with pytest.raises(TypeError, match="integers"):
        F.embedding(np.array([0.5]), weight)


# ----------------------------------------------------------------------------- layer norm


def test_layer_norm_gradcheck_affine(leaf):
    x, weight, bias = leaf(2, 3, 6), leaf(6), leaf(6)
    assert gradcheck(lambda x, w, b: F.layer_norm(x, 6, w, b), x, weight, bias)


def test_layer_norm_gradcheck_over_two_dims_without_affine(leaf):
    x = leaf(2, 3, 6)
    assert gradcheck(lambda x: F.layer_norm(x, (3, 6)), x)


def test_layer_norm_output_has_zero_mean_unit_variance(rng):
    x = Tensor(rng.standard_normal((4, 16)) * 5 + 3)
    y = F.layer_norm(x, 16).data
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(-1), 1, atol=1e-3)
    assert y.dtype == np.float32


def test_layer_norm_backward_skips_the_gradients_nobody_needs(rng):
    """A weight and bias that need no gradient get None (no work), as ctx.needs_input_grad says."""
    x = rng.standard_normal((3, 4))
    weight, bias = np.ones(4), np.zeros(4)
    for needs in [(True, False, False), (False, True, False), (True, False, True)]:
        ctx = FunctionCtx()
        ctx.needs_input_grad = needs
        F.LayerNormFunction.forward(ctx, x, weight, bias, 1, 1e-5)
        grads = F.LayerNormFunction.backward(ctx, np.ones_like(x))
        assert [g is not None for g in grads[:3]] == list(needs), needs


def test_layer_norm_shape_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match=r"trailing shape \(5,\), got shape \(2, 4\)"):
        F.layer_norm(Tensor(np.zeros((2, 4))), 5)


# ----------------------------------------------------------------------------- attention


def _qkv(leaf, target=4, source=6):
    return leaf(2, 3, target, 5), leaf(2, 3, source, 5), leaf(2, 3, source, 4)


def test_attention_gradcheck_unmasked(leaf):
    assert gradcheck(F.scaled_dot_product_attention, *_qkv(leaf))


def test_attention_gradcheck_boolean_mask(leaf, rng):
    mask = rng.random((4, 6)) > 0.3
    assert gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), *_qkv(leaf)
    )


def test_attention_gradcheck_float_mask(leaf, rng):
    mask = rng.standard_normal((2, 1, 4, 6))
    assert gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), *_qkv(leaf)
    )


def test_attention_gradcheck_causal(leaf):
    q, k, v = _qkv(leaf, target=6, source=6)
    assert gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), q, k, v
    )


def test_attention_gradcheck_with_broadcast_key(leaf):
    q, _, v = _qkv(leaf)
    key = leaf(1, 6, 5)
    assert gradcheck(lambda q, k: F.scaled_dot_product_attention(q, k, v), q, key)


def test_attention_dropout_gradcheck_with_a_fixed_generator(leaf):
    q, k, v = _qkv(leaf)

    def attention(q, k, v):
        return F.scaled_dot_product_attention(
            q, k, v, dropout_p=0.3, generator=np.random.default_rng(5)
        )

    assert gradcheck(attention, q, k, v)


def test_fully_masked_row_gives_zeros_not_nan(leaf, rng):
    q, k, v = _qkv(leaf)
    mask = rng.random((4, 6)) > 0.3
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert not np.isnan(out.data).any()
    np.testing.assert_array_equal(out.data[:, :, 1], 0)
    assert gradcheck(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), q, k, v
    )


def test_attention_is_stable_for_huge_scores():
    q = Tensor(np.full((1, 2, 4), 1e4, dtype=np.float32))
    k = Tensor(np.array([[[1e4] * 4, [-1e4] * 4]], dtype=np.float32))
    v = Tensor(np.array([[[1.0], [2.0]]], dtype=np.float32))
    out = F.scaled_dot_product_attention(q, k, v).data
    np.testing.assert_allclose(out, 1.0)


def test_boolean_false_blocks_a_key_and_float_minus_inf_does_the_same(rng):
    q, k, v = (Tensor(rng.standard_normal((1, 3, 4))) for _ in range(3))
    boolean = np.array([[True, True, False]] * 3)
    additive = np.where(boolean, 0.0, -np.inf).astype(np.float32)
    a = F.scaled_dot_product_attention(q, k, v, attn_mask=boolean).data
    b = F.scaled_dot_product_attention(q, k, v, attn_mask=additive).data
    c = F.scaled_dot_product_attention(q, Tensor(k.data[:, :2]), Tensor(v.data[:, :2])).data
    np.testing.assert_allclose(a, b, atol=1e-6)
    np.testing.assert_allclose(a, c, atol=1e-6)


def test_attention_rejects_mismatched_shapes_and_both_masks(rng):
    q = Tensor(rng.standard_normal((2, 4, 5)))
    with pytest.raises(ValueError, match="expected query"):
        F.scaled_dot_product_attention(q, Tensor(rng.standard_normal((2, 4, 6))), q)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=np.ones((4, 4), bool), is_causal=True)


def test_causal_mask_aligns_queries_to_the_last_keys():
    np.testing.assert_array_equal(F.causal_mask(2, 4), [[1, 1, 1, 0], [1, 1, 1, 1]])
    np.testing.assert_array_equal(F.causal_mask(3), np.tril(np.ones((3, 3), bool)))


def test_sinusoidal_encoding_matches_the_formula():
    pe = F.sinusoidal_positional_encoding(50, 16)
    pos, i = 7, 3
    np.testing.assert_allclose(pe[pos, 2 * i], np.sin(pos / 10000 ** (2 * i / 16)), rtol=1e-5)
    np.testing.assert_allclose(pe[pos, 2 * i + 1], np.cos(pos / 10000 ** (2 * i / 16)), rtol=1e-5)
    assert pe.dtype == np.float32 and pe.shape == (50, 16)


# ----------------------------------------------------------------------------- PyTorch parity


@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "causal"])
def test_attention_matches_pytorch(mask_kind, rng):
    torch = pytest.importorskip("torch")
    q, k, v = (
        rng.standard_normal(s).astype(np.float32)
        for s in [(2, 3, 7, 8), (2, 3, 7, 8), (2, 3, 7, 4)]
    )
    bool_mask = rng.random((7, 7)) > 0.3
    bool_mask[:, 0] = True
    float_mask = rng.standard_normal((7, 7)).astype(np.float32)
    ours, theirs = {}, {}
    if mask_kind == "bool":
        ours, theirs = {"attn_mask": bool_mask}, {"attn_mask": torch.tensor(bool_mask)}
    elif mask_kind == "float":
        ours, theirs = {"attn_mask": float_mask}, {"attn_mask": torch.tensor(float_mask)}
    elif mask_kind == "causal":
        ours = theirs = {"is_causal": True}
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    expected = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, **theirs)
    (expected * expected).sum().backward()
    Q, K, V = (Tensor(a, requires_grad=True) for a in (q, k, v))
    out = F.scaled_dot_product_attention(Q, K, V, **ours)
    (out * out).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-5)
    for mine, reference in [(Q, tq), (K, tk), (V, tv)]:
        np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), atol=1e-4)


def test_layer_norm_matches_pytorch(rng):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 5, 16)).astype(np.float32) * 3 + 1
    w = rng.standard_normal(16).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    expected = torch.nn.functional.layer_norm(tx, (16,), tw, tb, eps=1e-5)
    (expected * expected).sum().backward()
    X, W, B = (Tensor(a, requires_grad=True) for a in (x, w, b))
    out = F.layer_norm(X, 16, W, B, eps=1e-5)
    (out * out).sum().backward()
    np.testing.assert_allclose(out.data, expected.detach().numpy(), atol=1e-5)
    for mine, reference in [(X, tx), (W, tw), (B, tb)]:
        np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("shape", [(3, 4), (3, 5, 3), (3, 4, 5)])
def test_attention_mask_of_the_wrong_shape_names_the_expected_shape(shape, rng):
    q = Tensor(rng.standard_normal((2, 5, 4)))
    k = v = Tensor(rng.standard_normal((2, 3, 4)))
    with pytest.raises(ValueError, match=r"attn_mask of shape .* expected a mask of shape \(5, 3"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=np.ones(shape, dtype=bool))


@pytest.mark.parametrize("p", [-0.1, 1.5, float("nan")])
def test_attention_dropout_outside_zero_one_is_refused(p, rng):
    x = Tensor(rng.standard_normal((2, 3, 4)))
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: dropout probability "
                                         r"has to be between 0 and 1, but got"):
        F.scaled_dot_product_attention(x, x, x, dropout_p=p)


def test_attention_dropout_one_gives_zeros_and_zero_gradient(leaf):
    # Regression: dropout_p=1.0 raised ZeroDivisionError; PyTorch returns zeros.
    q = leaf(2, 3, 4)
    out = F.scaled_dot_product_attention(q, q, q, dropout_p=1.0)
    np.testing.assert_array_equal(out.data, 0)
    out.sum().backward()
    np.testing.assert_array_equal(q.grad.data, 0)


def test_the_returned_weights_are_a_copy_that_backward_does_not_read(rng):
    """The caller may keep, and change, the weights it gets; backward must not see that."""
    def gradients(spoil):
        q = Tensor(rng_q.standard_normal((2, 3, 4)), requires_grad=True)
        kv = Tensor(rng_q.standard_normal((2, 5, 4)), requires_grad=True)
        out, weights = F.attention_with_weights(q, kv, kv, is_causal=True)
        if spoil:
            weights.data[...] = 0
        out.sum().backward()
        return q.grad.data, kv.grad.data

    rng_q = np.random.default_rng(4)
    clean = gradients(spoil=False)
    rng_q = np.random.default_rng(4)
    spoiled = gradients(spoil=True)
    for a, b in zip(clean, spoiled, strict=True):
        np.testing.assert_array_equal(a, b)


def test_attention_with_weights_returns_the_weights_the_output_was_made_of(rng):
    q = Tensor(rng.standard_normal((2, 3, 4)))
    k = v = Tensor(rng.standard_normal((2, 5, 4)))
    generator = np.random.default_rng(3)
    out, weights = F.attention_with_weights(q, k, v, dropout_p=0.5, generator=generator)
    np.testing.assert_allclose(out.data, weights.data @ v.data, atol=1e-12)
    assert (weights.data == 0).any()  # dropped weights are zero in what is returned
