"""KV cache: the same greedy tokens and logits as the uncached GPT, and its memory."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from tinytorch.autograd import no_grad

attention = pytest.importorskip("tinytorch.attention")   # tinytorch.systems.kv_cache needs it
kv_cache = importlib.import_module("tinytorch.systems.kv_cache")
KVCache, generate_cached, new_cache = kv_cache.KVCache, kv_cache.generate_cached, kv_cache.new_cache

RNG_KV = np.random.default_rng(3)


def _gpt(context=48, layers=2, seed=3):
    return attention.GPT(
        vocab_size=13,
        context_length=context,
        embed_dim=32,
        num_heads=4,
        num_layers=layers,
        seed=seed,
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_greedy_tokens_equal_uncached_generate(seed):
    model = _gpt(seed=seed)
    prompt = np.array([1, 5, 2, 7, 3])
    expected = model.generate(prompt, 40, temperature=0)
    assert np.array_equal(generate_cached(model, prompt, 40), expected)


def test_batched_prompts():
    model = _gpt()
    prompts = np.array([[1, 2, 3], [4, 5, 6]])
    expected = model.generate(prompts, 20, temperature=0)
    assert np.array_equal(generate_cached(model, prompts, 20), expected)


def test_incremental_logits_equal_full_forward():
    model = _gpt()
    model.eval()
    tokens = np.array([[3, 1, 4, 1, 5, 9, 2, 6]])
    with no_grad():
        full = model(tokens).data
        cache = new_cache(model, 1, 8)
        first = model(tokens[:, :5], past_kv=cache).data
        rest = [model(tokens[:, t : t + 1], past_kv=cache).data for t in range(5, 8)]
    np.testing.assert_allclose(np.concatenate([first, *rest], axis=1), full, rtol=1e-4, atol=1e-5)
    assert cache.length == 8 and cache.used_bytes == cache.nbytes


def test_cache_bytes_are_two_times_layers_heads_positions_head_dim():
    model = _gpt(layers=3)
    _, cache = generate_cached(model, np.array([1, 2]), 10, return_cache=True)
    assert cache.length == 11  # the last token is returned, never fed back
    assert (
        cache.nbytes == 2 * 3 * 1 * 4 * 12 * 8 * 4
    )  # K and V, layers, N, heads, positions, head_dim, float32


def test_sampled_tokens_equal_uncached_and_dynamic_cache_generation():
    model = _gpt()
    prompt = np.array([[1, 2], [3, 4]])
    options = dict(temperature=0.8, top_k=5, generator=11)
    expected = model.generate(prompt, 20, **options)
    np.testing.assert_array_equal(generate_cached(model, prompt, 20, **options), expected)
    np.testing.assert_array_equal(model.generate(prompt, 20, use_cache=True, **options), expected)


def test_the_cache_is_written_in_place_not_reallocated():
    model = _gpt()
    _, cache = generate_cached(model, np.array([1, 2, 3]), 6, return_cache=True)
    arrays = [id(a) for a in cache.keys]
    model.eval()
    with no_grad():
        model(np.array([[5]]), past_kv=cache)
    assert [id(a) for a in cache.keys] == arrays and cache.length == 9


def test_sampling_with_a_seed_is_reproducible():
    model = _gpt()
    a = generate_cached(model, np.array([1, 2]), 15, temperature=1.0, top_k=5, generator=7)
    b = generate_cached(model, np.array([1, 2]), 15, temperature=1.0, top_k=5, generator=7)
    assert np.array_equal(a, b) and a.shape == (17,)


def test_too_long_for_the_context_is_a_clear_error():
    with pytest.raises(ValueError, match="context_length"):
        generate_cached(_gpt(context=16), np.array([1, 2, 3]), 20)


def test_keys_of_another_shape_are_a_clear_error():
    cache = KVCache(1, 2, 2, 4, max_length=8)
    with pytest.raises(ValueError, match=r"KVCache: layer 0's new values have shape \(2, 2, 1, 3"):
        cache.append(0, np.zeros((2, 2, 1, 4), np.float32), np.zeros((2, 2, 1, 3), np.float32))
    model = _gpt()
    with pytest.raises(ValueError, match=r"new keys have shape \(1, 4, 3, 8\), expected "
                                         r"\(N, H, t, head_dim\) = \(2, 4, 't', 8\)"):
        model(np.array([[1, 2, 3]]), past_kv=new_cache(model, batch=2))


def test_cache_overflow_is_an_error():
    cache = KVCache(1, 1, 2, 4, max_length=3)
    with pytest.raises(ValueError, match="max_length"):
        cache.append(0, np.zeros((1, 2, 4, 4), np.float32), np.zeros((1, 2, 4, 4), np.float32))


def test_append_writes_after_the_filled_positions_and_returns_views_of_all_of_them():
    cache = KVCache(2, 1, 2, 3, max_length=6)
    k1, v1 = RNG_KV.standard_normal((2, 1, 2, 2, 3)).astype(np.float32)
    keys, values = cache.append(1, k1, v1)
    assert keys.shape == values.shape == (1, 2, 2, 3) and cache.length == 0   # advance does that
    np.testing.assert_array_equal(keys, k1)
    np.testing.assert_array_equal(values, v1)
    assert np.shares_memory(keys, cache.keys[1]) and np.shares_memory(values, cache.values[1])
    np.testing.assert_array_equal(cache.keys[0], 0)          # another layer is untouched
    cache.advance(2)
    k2, v2 = RNG_KV.standard_normal((2, 1, 2, 3, 3)).astype(np.float32)
    keys, values = cache.append(1, k2, v2)
    np.testing.assert_array_equal(keys, np.concatenate([k1, k2], axis=2))
    np.testing.assert_array_equal(values, np.concatenate([v1, v2], axis=2))
    cache.advance(3)
    k3 = np.ones((1, 2, 1, 3), np.float32)
    keys, _ = cache.append(1, k3, k3)                         # exactly fills max_length
    assert keys.shape[2] == 6
    cache.advance(1)
    with pytest.raises(ValueError, match="max_length=6"):
        cache.append(1, k3, k3)
