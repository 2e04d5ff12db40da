"""KV cache: generate from a GPT in O(T) work per token instead of O(T^2).

Uncached generation runs the whole sequence through the model for every new
token, although the keys and values of earlier positions never change: with
a causal mask, position t's k and v depend on tokens 0..t only. A KV cache
keeps them. Each step then feeds the *one* new token:

    x = embed(token, position t)
    per block:  q, k, v = project(ln1(x));  K = [K_cache, k];  V = [V_cache, v]
                x = x + out_proj(softmax(q K^T / sqrt(d)) V);  x = x + mlp(ln2(x))
    logits = head(ln_f(x))

which costs one row of every matmul instead of T rows, plus a (1 x T)
attention row. The result is the same function, so greedy decoding gives the
same tokens. The price is memory: 2 (K and V) x layers x heads x T x head_dim
floats per sequence, which ``KVCache.nbytes`` reports.

The cache reuses tt-attention's GPT weights through its public pieces:
``GPT.embed(idx, start_pos)``, each block's ``ln1``, ``attn.project_qkv``,
``attn.attend``, ``ln2``, ``mlp``, and ``ln_f``, ``head``.
"""

from __future__ import annotations

import numpy as np
from tinytorch.attention import sample_next_token
from tinytorch.autograd import no_grad
from tinytorch.tensor import Tensor


class KVCache:
    """Keys and values of every layer for the positions seen so far, preallocated.

    Args:
        num_layers: the model's number of transformer blocks.
        batch: N, the sequences generated together.
        num_heads: H, the attention heads per block.
        head_dim: the size of each head's keys and values.
        max_length: the most positions the cache can hold.

    Attributes:
        keys, values: per layer, arrays (N, H, max_length, head_dim); the first
            ``length`` positions are filled.
    """

    def __init__(
        self,
        num_layers: int,
        batch: int,
        num_heads: int,
        head_dim: int,
        max_length: int,
        dtype=np.float32,
    ) -> None:
        shape = (batch, num_heads, max_length, head_dim)
        self.keys = [np.zeros(shape, dtype) for _ in range(num_layers)]
        self.values = [np.zeros(shape, dtype) for _ in range(num_layers)]
        self.length = 0
        self.max_length = max_length

    @property
    def nbytes(self) -> int:
        """Bytes allocated for keys and values (2 x layers x N x H x max_length x head_dim x 4)."""
        return sum(a.nbytes for a in self.keys) + sum(a.nbytes for a in self.values)

    @property
    def used_bytes(self) -> int:
        """Bytes of the positions filled so far."""
        return self.nbytes * self.length // self.max_length

    def append(self, layer: int, k: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Store keys and values (N, H, t, head_dim) of ``layer`` at positions length .. length+t-1.

        Returns the keys and values of every position so far (views, no copy).
        """
        # BEGIN SOLUTION
        start, stop = self.length, self.length + k.shape[2]
        if stop > self.max_length:
            raise ValueError(
                f"KVCache: {stop} positions do not fit in max_length={self.max_length}"
            )
        self.keys[layer][:, :, start:stop] = k
        self.values[layer][:, :, start:stop] = v
        return self.keys[layer][:, :, :stop], self.values[layer][:, :, :stop]
        # END SOLUTION

    def advance(self, steps: int) -> None:
        """Mark ``steps`` more positions as filled (after every layer has appended them)."""
        self.length += steps


def new_cache(model, batch: int, max_length: int | None = None) -> KVCache:
    """An empty cache shaped for tt-attention's ``GPT`` ``model``."""
    attn = model.blocks[0].attn
    length = model.context_length if max_length is None else max_length
    return KVCache(
        len(model.blocks), batch, attn.num_heads, attn.head_dim, length, model.head.weight.dtype
    )


def _causal_against_cache(new: int, total: int) -> np.ndarray | None:
    """True where each of the ``new`` last queries may attend (None for a single query)."""
    if new == 1:
        return None
    return np.tri(new, total, k=total - new, dtype=bool)


def forward_cached(model, idx: np.ndarray, cache: KVCache) -> Tensor:
    """Logits (N, t, V) of tokens ``idx`` (N, t) at positions cache.length ..; fills the cache."""
    # BEGIN SOLUTION
    start, new = cache.length, idx.shape[1]
    x = model.embed(idx, start_pos=start)
    mask = _causal_against_cache(new, start + new)
    for layer, block in enumerate(model.blocks):
        h = block.ln1(x)
        q, k, v = block.attn.project_qkv(h, h, h)
        keys, values = cache.append(layer, k.data, v.data)
        attended = block.attn.attend(q, Tensor(keys), Tensor(values), attn_mask=mask)
        x = x + block.attn_dropout(attended)
        x = x + block.mlp(block.ln2(x))
    cache.advance(new)
    return model.head(model.ln_f(x))
    # END SOLUTION


def generate_cached(
    model,
    idx,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_k: int | None = None,
    generator=None,
    return_cache: bool = False,
):
    """``GPT.generate`` with a KV cache: the prompt in one pass, then one token per step.

    Greedy decoding (temperature 0, the default) gives the same tokens as
    ``model.generate(idx, max_new_tokens, temperature=0)``. The whole sequence
    must fit in the model's context (a sliding window would shift every
    position and invalidate the cache).

    Returns:
        ``idx`` with the new tokens appended (int64), and the cache when ``return_cache``.
    """
    # BEGIN SOLUTION
    rng = (
        generator
        if isinstance(generator, np.random.Generator)
        else np.random.default_rng(generator)
    )
    tokens = np.asarray(getattr(idx, "data", idx), dtype=np.int64)
    single = tokens.ndim == 1
    tokens = tokens[None, :] if single else tokens
    total = tokens.shape[1] + max_new_tokens
    if total > model.context_length:
        raise ValueError(
            f"generate_cached: prompt of {tokens.shape[1]} plus {max_new_tokens} new tokens is "
            f"{total} positions, more than the model's context_length={model.context_length}; "
            "a KV cache cannot slide its window (positions would shift)"
        )
    cache = new_cache(model, tokens.shape[0], total)
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            logits = forward_cached(model, tokens, cache).data[:, -1, :].astype(np.float64)
            for step in range(max_new_tokens):
                next_token = sample_next_token(logits, temperature, top_k, rng)
                tokens = np.concatenate([tokens, next_token[:, None]], axis=1)
                if step + 1 < max_new_tokens:
                    logits = forward_cached(model, next_token[:, None], cache).data[:, -1, :]
                    logits = logits.astype(np.float64)
    finally:
        model.train(was_training)
    result = tokens[0] if single else tokens
    return (result, cache) if return_cache else result
    # END SOLUTION
