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

``KVCache`` is a KV cache as tt-attention's GPT takes one
(``GPT.forward(idx, past_kv=cache)``: ``length``, ``append``, ``advance``),
whose arrays are allocated once for the longest sequence, so a step writes
its keys and values in place instead of copying every earlier position.
``generate_cached`` is ``GPT.generate`` with such a cache.
"""

from __future__ import annotations

import numpy as np
from tinytorch.attention import check_new_kv


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
        Raises ValueError, naming the shapes, when ``k`` or ``v`` is not
        (N, H, t, head_dim) with the cache's N, H and head_dim, or when the
        positions do not fit in ``max_length``.
        """
        check_new_kv("KVCache", layer, k, v, self.keys[layer].shape)
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


def generate_cached(
    model,
    idx,
    max_new_tokens: int,
    temperature: float = 0.0,
    top_k: int | None = None,
    generator=None,
    return_cache: bool = False,
):
    """``model.generate`` (tt-attention's GPT) with a preallocated ``KVCache``.

    The prompt goes in one pass, then one token per step; greedy decoding
    (temperature 0, the default) gives the same tokens as
    ``model.generate(idx, max_new_tokens, temperature=0)``. The whole sequence
    must fit in the model's context (a cache cannot slide its window).

    Returns:
        ``idx`` with the new tokens appended (int64), and the cache when ``return_cache``.
    """
    prompt = np.asarray(getattr(idx, "data", idx))
    batch = 1 if prompt.ndim == 1 else prompt.shape[0]
    cache = new_cache(model, batch, min(prompt.shape[-1] + max_new_tokens, model.context_length))
    tokens = model.generate(idx, max_new_tokens, temperature, top_k, generator, past_kv=cache)
    return (tokens, cache) if return_cache else tokens
