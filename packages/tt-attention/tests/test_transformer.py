"""TransformerBlock and GPT: gradcheck, causality, generation that respects the context window."""

import numpy as np
import pytest
from tinytorch.attention import GPT, MLP, DynamicKVCache, TransformerBlock, sample_next_token
from tinytorch.autograd import gradcheck, no_grad
from tinytorch.tensor import Tensor


def small_gpt(**overrides):
    config = dict(vocab_size=11, context_length=8, embed_dim=16, num_heads=2, num_layers=2, seed=0)
    config.update(overrides)
    return GPT(**config)


def test_transformer_block_gradcheck(leaf):
    block = TransformerBlock(8, 2).double()
    rng = np.random.default_rng(3)
    for param in block.parameters():
        param.data[...] += 0.1 * rng.standard_normal(param.shape)
    x = leaf(2, 4, 8)
    params = list(block.parameters())
    assert gradcheck(lambda x, *p: block(x, is_causal=True), x, *params)


def test_transformer_block_adds_two_pre_norm_residual_branches(rng):
    """x + attn(ln1 x), then + mlp(ln2 .): gradcheck alone accepts a block without a residual."""
    block = TransformerBlock(8, 2)
    block.eval()
    x = Tensor(rng.standard_normal((2, 4, 8)).astype(np.float32))
    h = block.ln1(x)
    attended, _ = block.attn(h, h, h, is_causal=True)
    middle = x + attended
    expected = middle + block.mlp(block.ln2(middle))
    np.testing.assert_allclose(block(x, is_causal=True).data, expected.data, atol=1e-5)


def test_mlp_drops_out_its_output_in_training_only(rng):
    mlp = MLP(8, 32, dropout=1.0)
    x = Tensor(rng.standard_normal((3, 8)).astype(np.float32))
    np.testing.assert_array_equal(mlp(x).data, 0)
    mlp.eval()
    assert np.abs(mlp(x).data).sum() > 0


def test_transformer_block_names_the_expected_shape_of_a_batchless_input():
    # Regression: a (T, C) input failed with "not enough values to unpack (expected 3, got 2)".
    block = TransformerBlock(8, 2)
    with pytest.raises(ValueError, match=r"MultiheadAttention: expected query of shape "
                                         r"\(N, L, 8\) \(batch_first=True\), got \(5, 8\)"):
        block(Tensor(np.zeros((5, 8), dtype=np.float32)))


def test_gpt_output_shape_and_attribute_names():
    model = small_gpt()
    logits = model(np.zeros((3, 5), dtype=np.int64))
    assert logits.shape == (3, 5, 11) and logits.dtype == np.float32
    names = {name.split(".")[0] for name, _ in model.named_parameters()}
    assert names == {"tok_emb", "pos_emb", "blocks", "ln_f", "head"}
    block = model.blocks[0]
    for part in ("ln1", "attn", "ln2", "mlp"):
        assert hasattr(block, part)


def test_every_gpt_parameter_receives_a_gradient():
    model = small_gpt()
    idx = np.random.default_rng(0).integers(0, 11, size=(2, 8))
    logits = model(idx)
    (logits * logits).mean().backward()
    for name, param in model.named_parameters():
        assert param.grad is not None and np.abs(param.grad.data).sum() > 0, name


def test_gpt_is_causal_changing_a_future_token_leaves_earlier_outputs_unchanged():
    model = small_gpt()
    model.eval()
    idx = np.random.default_rng(1).integers(0, 11, size=(2, 8))
    changed = idx.copy()
    changed[:, 5] = (changed[:, 5] + 1) % 11
    before, after = model(idx).data, model(changed).data
    np.testing.assert_array_equal(before[:, :5], after[:, :5])
    assert not np.allclose(before[:, 5:], after[:, 5:])


def test_tied_weights_share_one_parameter():
    model = small_gpt(tie_weights=True)
    assert model.head.weight is model.tok_emb.weight
    untied = small_gpt(tie_weights=False)
    assert len(list(model.parameters())) == len(list(untied.parameters())) - 1


def test_gpt_rejects_sequences_longer_than_the_context():
    with pytest.raises(ValueError, match="longer than context_length=8"):
        small_gpt()(np.zeros((1, 9), dtype=np.int64))


def test_generate_crops_to_the_context_window_and_is_seeded():
    model = small_gpt()
    seen_lengths = []
    original_forward = model.forward

    def recording_forward(idx):
        seen_lengths.append(np.asarray(idx).shape[1])
        return original_forward(idx)

    model.forward = recording_forward
    prompt = np.array([1, 2, 3])
    out = model.generate(prompt, max_new_tokens=12, temperature=0.8, top_k=5, generator=7)
    assert out.shape == (15,) and np.array_equal(out[:3], prompt)
    assert max(seen_lengths) == 8
    assert np.array_equal(
        out, model.generate(prompt, max_new_tokens=12, temperature=0.8, top_k=5, generator=7)
    )
    assert model.training


def test_generate_top_k_one_is_greedy():
    model = small_gpt()
    greedy = model.generate(np.array([[4, 2]]), max_new_tokens=5, temperature=0)
    top1 = model.generate(np.array([[4, 2]]), max_new_tokens=5, top_k=1, generator=3)
    np.testing.assert_array_equal(greedy, top1)


def test_sample_next_token_at_temperature_zero_is_the_argmax_of_each_row():
    logits = np.array([[0.1, 2.0, -1.0], [3.0, 0.0, 2.9]])
    np.testing.assert_array_equal(sample_next_token(logits, temperature=0), [1, 0])


def test_sample_next_token_draws_from_the_tempered_softmax():
    logits = np.log(np.array([0.5, 0.3, 0.2]))
    rows = np.tile(logits, (20_000, 1))
    for temperature, expected in [(1.0, [0.5, 0.3, 0.2]), (0.5, [0.25, 0.09, 0.04])]:
        tokens = sample_next_token(rows, temperature, rng=np.random.default_rng(0))
        frequencies = np.bincount(tokens, minlength=3) / len(tokens)
        # softmax(log(p) / T) is p ** (1 / T), renormalised
        np.testing.assert_allclose(frequencies, np.array(expected) / sum(expected), atol=0.01)


def test_sample_next_token_top_k_keeps_only_the_k_largest_and_is_seeded():
    rows = np.tile(np.array([0.0, 3.0, 1.0, 2.9, -5.0]), (1_000, 1))
    tokens = sample_next_token(rows, top_k=2, rng=np.random.default_rng(1))
    assert set(np.unique(tokens)) == {1, 3}
    again = sample_next_token(rows, top_k=2, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(tokens, again)


def test_sample_next_token_wants_one_row_per_sequence():
    with pytest.raises(ValueError, match=r"logits must be \(N, V\)"):
        sample_next_token(np.zeros(5))


def test_sinusoidal_and_no_position_variants_build():
    assert list(small_gpt(positional="sinusoidal").pos_emb.parameters()) == []
    assert small_gpt(positional=None).pos_emb is None
    with pytest.raises(ValueError, match="positional must be"):
        small_gpt(positional="rotary")


def test_logits_fed_through_a_kv_cache_equal_the_full_forward():
    """The prompt in one pass, then one token at a time: the same logits as all at once."""
    model = small_gpt()
    model.eval()
    idx = np.random.default_rng(2).integers(0, 11, size=(2, 7))
    with no_grad():
        full = model(idx).data
        first, cache = model(idx[:, :4], use_cache=True)
        assert isinstance(cache, DynamicKVCache) and cache.length == 4
        steps = [first.data]
        for t in range(4, 7):
            logits, again = model(idx[:, t : t + 1], past_kv=cache, use_cache=True)
            assert again is cache and cache.length == t + 1
            steps.append(logits.data)
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full, rtol=1e-4, atol=1e-5)
    assert len(cache.keys) == 2 and cache.keys[1].shape == (2, 2, 7, 8)  # N, H, T, head_dim


def test_a_chunk_after_the_cache_attends_causally_within_itself():
    model = small_gpt()
    model.eval()
    idx = np.random.default_rng(5).integers(0, 11, size=(1, 8))
    with no_grad():
        full = model(idx).data
        _, cache = model(idx[:, :3], use_cache=True)
        rest = model(idx[:, 3:], past_kv=cache).data  # five queries after three cached
    np.testing.assert_allclose(rest, full[:, 3:], rtol=1e-4, atol=1e-5)
    assert cache.length == 8


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("temperature", [0.0, 0.9])
def test_cached_and_uncached_generation_give_the_same_tokens(seed, temperature):
    model = small_gpt(context_length=24, seed=seed)
    prompt = np.array([[1, 5, 2], [7, 3, 3]])
    plain = model.generate(prompt, 15, temperature=temperature, top_k=6, generator=4)
    cached = model.generate(prompt, 15, temperature=temperature, top_k=6, generator=4,
                            use_cache=True)
    np.testing.assert_array_equal(cached, plain)
    assert model.training


def test_cached_generation_feeds_the_prompt_once_then_one_token_per_step():
    model = small_gpt()
    fed = []
    original_forward = model.forward

    def recording_forward(idx, past_kv=None, use_cache=False):
        fed.append((np.asarray(idx).shape[1], past_kv.length))
        return original_forward(idx, past_kv, use_cache)

    model.forward = recording_forward
    model.generate(np.array([1, 2, 3]), max_new_tokens=4, temperature=0, use_cache=True)
    assert fed == [(3, 0), (1, 3), (1, 4), (1, 5)]


def test_cached_generation_cannot_slide_past_the_context():
    with pytest.raises(ValueError, match=r"3 plus 6 new tokens is 9 positions.*context_length=8"):
        small_gpt().generate(np.array([1, 2, 3]), 6, use_cache=True)
    assert small_gpt().generate(np.array([1, 2, 3]), 6).shape == (9,)  # uncached slides


def test_past_kv_from_another_batch_is_a_clear_error():
    model = small_gpt()
    model.eval()
    _, cache = model(np.zeros((2, 3), dtype=np.int64), use_cache=True)
    with pytest.raises(ValueError, match=r"DynamicKVCache: layer 0's new keys have shape "
                                         r"\(1, 2, 1, 8\), expected .*\(2, 2, 't', 8\)"):
        model(np.zeros((1, 1), dtype=np.int64), past_kv=cache)


def test_a_cache_that_returns_the_wrong_length_is_named():
    class ForgetfulCache(DynamicKVCache):
        def append(self, layer, k, v):
            return k, v  # only the new positions: the past is lost

    model = small_gpt()
    cache = ForgetfulCache()
    model(np.zeros((1, 2), dtype=np.int64), past_kv=cache)
    with pytest.raises(ValueError, match=r"TransformerBlock 0: past_kv returned keys of shape "
                                         r"\(1, 2, 1, 8\), expected .* \(1, 2, 3, 8\)"):
        model(np.zeros((1, 1), dtype=np.int64), past_kv=cache)


def test_past_kv_with_an_attention_mask_is_refused():
    block = TransformerBlock(8, 2)
    x = Tensor(np.zeros((1, 2, 8), dtype=np.float32))
    with pytest.raises(ValueError, match="give attn_mask or past_kv, not both"):
        block(x, attn_mask=np.ones((2, 2), bool), past_kv=DynamicKVCache())


def test_a_cached_forward_past_the_context_is_refused():
    model = small_gpt()
    _, cache = model(np.zeros((1, 6), dtype=np.int64), use_cache=True)
    with pytest.raises(ValueError, match="sequence of 9 tokens is longer than context_length=8"):
        model(np.zeros((1, 3), dtype=np.int64), past_kv=cache)
