"""The mistakes students make in attention code, each pinned by a test that needs no PyTorch:
a backward rule writing into its incoming gradient, a softmax without the max subtracted, a
causal mask off by one, heads split in the wrong order, LayerNorm with the unbiased variance."""

from __future__ import annotations

import numpy as np
from tinytorch.attention import functional as F
from tinytorch.attention.layers import SplitHeads
from tinytorch.tensor import Tensor

RNG = np.random.default_rng(0)


def spy_on_backward(monkeypatch, function, read_only=False):
    """Replace ``function.backward`` by a wrapper that records what each call returned
    (and, with ``read_only``, hands the rule read-only incoming gradients)."""
    original, returned = function.backward, []

    def spy(ctx, *grads):
        if read_only:
            grads = tuple(None if g is None else np.array(g) for g in grads)
            for g in grads:
                if g is not None:
                    g.flags.writeable = False
        returned.append(original(ctx, *grads))
        return returned[-1]

    monkeypatch.setattr(function, "backward", staticmethod(spy))
    return returned


def leaf(*shape):
    return Tensor(RNG.standard_normal(shape), dtype=np.float64, requires_grad=True)


def gradients(make_loss, shapes, seed=1):
    rng = np.random.default_rng(seed)
    inputs = [Tensor(rng.standard_normal(s), dtype=np.float64, requires_grad=True) for s in shapes]
    loss = make_loss(*inputs)   # one forward: its shape gives the random output weights
    (loss * Tensor(rng.standard_normal(loss.shape))).sum().backward()
    return [x.grad.numpy().copy() for x in inputs]


READ_ONLY_CASES = {
    "EmbeddingFunction": (lambda w: F.embedding(np.array([[1, 2, 1], [0, 3, 3]]), w, 0),
                          [(5, 4)]),
    "LayerNormFunction": (lambda x, w, b: F.layer_norm(x, 6, w, b), [(2, 3, 6), (6,), (6,)]),
    "ScaledDotProductAttentionFunction": (
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=0.2,
                                                       generator=np.random.default_rng(3)),
        [(2, 4, 5), (2, 4, 5), (2, 4, 3)]),
    "SplitHeads": (
        lambda p: sum(h * (i + 1) for i, h in enumerate(SplitHeads.apply(p, 2, 3, 3, 2))),
        [(6, 12)]),
}


def check_read_only_incoming_gradient(monkeypatch, name):
    """Gradients with a read-only incoming gradient equal those with a writable one."""
    make_loss, shapes = READ_ONLY_CASES[name]
    expected = gradients(make_loss, shapes)
    function = SplitHeads if name == "SplitHeads" else getattr(F, name)
    returned = spy_on_backward(monkeypatch, function, read_only=True)
    got = gradients(make_loss, shapes)
    assert returned, f"{name}.backward was not called"
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)


def test_embedding_backward_never_writes_into_its_incoming_gradient(monkeypatch):
    check_read_only_incoming_gradient(monkeypatch, "EmbeddingFunction")


def test_layer_norm_backward_never_writes_into_its_incoming_gradient(monkeypatch):
    check_read_only_incoming_gradient(monkeypatch, "LayerNormFunction")


def test_attention_backward_never_writes_into_its_incoming_gradient(monkeypatch):
    check_read_only_incoming_gradient(monkeypatch, "ScaledDotProductAttentionFunction")


def test_split_heads_backward_never_writes_into_its_incoming_gradients(monkeypatch):
    check_read_only_incoming_gradient(monkeypatch, "SplitHeads")


def test_attention_weights_gradient_arrives_read_only_too(monkeypatch):
    spy_on_backward(monkeypatch, F.ScaledDotProductAttentionFunction, read_only=True)
    q, k, v = leaf(1, 3, 4), leaf(1, 3, 4), leaf(1, 3, 2)
    out, weights = F.attention_with_weights(q, k, v, need_weights=True)
    (out.sum() + (weights * weights).sum()).backward()
    with_weights = q.grad.numpy().copy()
    q.grad = None
    F.attention_with_weights(q, k, v, need_weights=True)[0].sum().backward()
    assert v.grad is not None
    # the weights' own gradient reached q: a backward that drops it gives out.sum()'s alone
    assert not np.allclose(q.grad.numpy(), with_weights)


def test_layer_norm_computes_only_the_gradients_its_inputs_need(monkeypatch):
    returned = spy_on_backward(monkeypatch, F.LayerNormFunction)
    x = leaf(3, 4)
    weight = Tensor(np.ones(4), dtype=np.float64)
    bias = Tensor(np.zeros(4), dtype=np.float64)
    F.layer_norm(x, 4, weight, bias).sum().backward()
    grad_x, grad_weight, grad_bias = returned[-1][:3]
    assert grad_x is not None and grad_weight is None and grad_bias is None
    frozen = Tensor(RNG.standard_normal((3, 4)), dtype=np.float64)
    F.layer_norm(frozen, 4, leaf(4), leaf(4)).sum().backward()
    assert returned[-1][0] is None and returned[-1][1] is not None and returned[-1][2] is not None


def test_layer_norm_divides_by_n_not_n_minus_one():
    """The biased variance, as PyTorch: a row [0, 2] normalizes to exactly [-1, 1]."""
    x = Tensor(np.array([[0.0, 2.0], [1.0, 1.0]]), dtype=np.float64)
    y = F.layer_norm(x, 2, eps=1e-12).data
    np.testing.assert_allclose(y[0], [-1.0, 1.0], rtol=1e-9)
    np.testing.assert_allclose(y[1], [0.0, 0.0], atol=1e-9)
    z = F.layer_norm(Tensor(np.arange(4.0), dtype=np.float64), 4, eps=1.0).data
    np.testing.assert_allclose(z, (np.arange(4.0) - 1.5) / np.sqrt(1.25 + 1.0), rtol=1e-12)


def test_masked_softmax_never_overflows_and_rows_sum_to_one():
    scores = np.array([[1000.0, 999.0, -np.inf], [-np.inf, -np.inf, -np.inf], [3.0, 1.0, 2.0]])
    with np.errstate(over="raise", invalid="raise"):
        probs = F.masked_softmax(scores.copy())
    e = np.exp([1.0, 0.0])
    np.testing.assert_allclose(probs[0], [e[0] / e.sum(), e[1] / e.sum(), 0.0], rtol=1e-12)
    np.testing.assert_array_equal(probs[1], 0.0)
    np.testing.assert_allclose(probs[2], np.exp([3.0, 1.0, 2.0]) / np.exp([3.0, 1.0, 2.0]).sum())
    with np.errstate(over="raise"):
        q = Tensor(np.full((1, 2, 4), 300.0, dtype=np.float32))
        F.scaled_dot_product_attention(q, q, Tensor(np.ones((1, 2, 1), dtype=np.float32)))


def test_causal_mask_lets_position_t_see_t_but_not_t_plus_one():
    for n in range(1, 6):
        mask = F.causal_mask(n)
        assert mask.dtype == np.bool_ and mask.shape == (n, n)
        for t in range(n):
            assert mask[t, t], f"position {t} must see itself"
            assert not mask[t, t + 1:].any(), f"position {t} sees the future"
            assert mask[t, :t + 1].all()
    np.testing.assert_array_equal(F.causal_mask(1, 3), [[True, True, True]])
    np.testing.assert_array_equal(F.causal_mask(3, 3), F.causal_mask(3))


def test_attention_output_at_t_does_not_depend_on_later_values():
    q, k, v = leaf(1, 5, 3), leaf(1, 5, 3), leaf(1, 5, 2)
    out = F.scaled_dot_product_attention(q, k, v, is_causal=True).data
    v_changed = Tensor(v.data.copy(), dtype=np.float64)
    v_changed.data[0, 3] += 10.0
    changed = F.scaled_dot_product_attention(q, k, v_changed, is_causal=True).data
    np.testing.assert_array_equal(out[0, :3], changed[0, :3])
    assert not np.allclose(out[0, 3], changed[0, 3])
    np.testing.assert_allclose(out[0, 0], v.data[0, 0], rtol=1e-12)   # the first sees only itself


def test_split_heads_gives_each_head_its_own_block_of_columns():
    """Head h of part p is columns [p*E + h*E/H, p*E + (h+1)*E/H) of the packed projection."""
    batch, length, parts, heads, head_dim = 2, 3, 3, 2, 4
    width = parts * heads * head_dim
    packed = np.arange(batch * length * width, dtype=np.float64).reshape(batch * length, width)
    split = SplitHeads.apply(Tensor(packed), batch, length, parts, heads)
    assert len(split) == parts
    rows = packed.reshape(batch, length, width)
    for p, part in enumerate(split):
        assert part.shape == (batch, heads, length, head_dim)
        for h in range(heads):
            first = p * heads * head_dim + h * head_dim
            np.testing.assert_array_equal(part.data[:, h], rows[:, :, first:first + head_dim])
    (one,) = SplitHeads.apply(Tensor(packed[:, :8]), batch, length, 1, heads)  # still a tuple
    np.testing.assert_array_equal(one.data[:, 1], rows[:, :, head_dim:2 * head_dim])


def test_merge_heads_undoes_split_heads():
    from tinytorch.attention.layers import merge_heads
    packed = RNG.standard_normal((6, 8))
    heads = SplitHeads.apply(Tensor(packed, dtype=np.float64), 2, 3, 1, 2)
    heads = heads[0] if isinstance(heads, tuple) else heads
    np.testing.assert_array_equal(merge_heads(heads).data, packed.reshape(2, 3, 8))
