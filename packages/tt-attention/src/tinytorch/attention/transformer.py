"""A decoder-only transformer (GPT): pre-norm blocks of attention and MLP with residuals.

    x = tok_emb(idx) + pos_emb(positions)
    for block in blocks:
        x = x + dropout(attn(ln1(x)))          # tokens exchange information
        x = x + dropout(mlp(ln2(x)))           # each token thinks on its own
    logits = head(ln_f(x))

Generation may keep a *KV cache*: the keys and values of the positions seen
so far, so that each new token is fed alone (``GPT.forward(idx, past_kv=...,
use_cache=True)``, ``GPT.generate(..., use_cache=True)``). A KV cache is any
object with

```text
length -> int
    the positions it holds; the next tokens fed are at positions length, length + 1, ...
append(layer, k, v) -> (keys, values)
    store layer's keys and values (N, H, t, head_dim) of the t new positions
    and return those of every position so far, (N, H, length + t, head_dim)
advance(steps) -> None
    mark steps more positions as held (GPT.forward calls it once, after every layer appended)
```

``DynamicKVCache`` below grows by concatenation; tt-systems' ``KVCache``
preallocates its arrays and reports their bytes.
"""

from __future__ import annotations

import numpy as np
from tinytorch.autograd import no_grad
from tinytorch.nn import GELU, Dropout, Linear, Module, ModuleList
from tinytorch.tensor import Tensor, default_generator

from .functional import causal_mask
from .layers import (
    Embedding,
    LayerNorm,
    LearnedPositionalEmbedding,
    MultiheadAttention,
    SinusoidalPositionalEncoding,
)

__all__ = ["MLP", "TransformerBlock", "GPT", "DynamicKVCache", "check_new_kv"]


class MLP(Module):
    r"""The position-wise feed-forward network: MLP(x) = dropout(proj(GELU(fc(x)))).

    GELU uses GPT-2's tanh approximation, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
    which is several times cheaper than the exact erf form on NumPy.

    Args:
        embed_dim: d, the input and output width.
        hidden_dim: the inner width (4 d in GPT).
        dropout: dropout on the output (training mode only).

    Shape:
        input ``(*, d)``, output ``(*, d)``.
    """

    def __init__(self, embed_dim: int, hidden_dim: int, dropout: float = 0.0):
        super().__init__()
        self.fc = Linear(embed_dim, hidden_dim)
        self.act = GELU(approximate="tanh")
        self.proj = Linear(hidden_dim, embed_dim)
        self.dropout = Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        # BEGIN SOLUTION
        return self.dropout(self.proj(self.act(self.fc(x))))
        # END SOLUTION


class DynamicKVCache:
    """A KV cache (see the module docstring) that concatenates each step's keys and values.

    It needs no sizes up front; each ``append`` copies the layer's keys and
    values so far, which costs as much as the attention row that reads them.

    Attributes:
        keys, values: per layer, arrays (N, H, length, head_dim) once the layer appended.
        length: the positions held.
    """

    def __init__(self) -> None:
        self.keys: list[np.ndarray] = []
        self.values: list[np.ndarray] = []
        self.length = 0

    def append(self, layer: int, k: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Store ``k`` and ``v`` (N, H, t, head_dim) of ``layer``; return every position's."""
        if layer == len(self.keys):
            self.keys.append(k)
            self.values.append(v)
        else:
            check_new_kv("DynamicKVCache", layer, k, v, self.keys[layer].shape)
            self.keys[layer] = np.concatenate([self.keys[layer], k], axis=2)
            self.values[layer] = np.concatenate([self.values[layer], v], axis=2)
        return self.keys[layer], self.values[layer]

    def advance(self, steps: int) -> None:
        self.length += steps


def check_new_kv(cache: str, layer: int, k: np.ndarray, v: np.ndarray, held: tuple) -> None:
    """Raise unless new keys and values (N, H, t, head_dim) fit a cache holding ``held`` ones."""
    expected = (held[0], held[1], "t", held[3])
    for name, x in (("keys", k), ("values", v)):
        if x.ndim != 4 or (x.shape[0], x.shape[1], x.shape[3]) != (held[0], held[1], held[3]):
            raise ValueError(
                f"{cache}: layer {layer}'s new {name} have shape {tuple(x.shape)}, expected "
                f"(N, H, t, head_dim) = {expected} as the cached ones (same batch, heads, head_dim)"
            )


class TransformerBlock(Module):
    r"""A pre-norm transformer block (GPT-2):

        x = x + dropout(attn(ln1(x)));  x = x + mlp(ln2(x))

    Normalizing *before* each sublayer keeps the residual path an identity,
    so gradients reach early layers undiminished.

    Args:
        embed_dim: d, the model width.
        num_heads: attention heads (d must be divisible by it).
        dropout: dropout on attention weights and on both residual branches.
        mlp_ratio: the MLP's hidden width is ``mlp_ratio * d``.
        layer_idx: which layer of a KV cache this block reads and fills (its place in the model).

    Shape:
        input ``(N, L, d)``, output ``(N, L, d)``.

    Examples:
        >>> block = TransformerBlock(128, 4)
        >>> block(tinytorch.tensor.randn(2, 16, 128), is_causal=True).shape
        (2, 16, 128)
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        mlp_ratio: int = 4,
        layer_idx: int = 0,
    ):
        super().__init__()
        self.layer_idx = layer_idx
        self.ln1 = LayerNorm(embed_dim)
        self.attn = MultiheadAttention(embed_dim, num_heads, dropout=dropout, batch_first=True)
        self.attn_dropout = Dropout(dropout)
        self.ln2 = LayerNorm(embed_dim)
        self.mlp = MLP(embed_dim, mlp_ratio * embed_dim, dropout=dropout)

    def forward(self, x: Tensor, attn_mask=None, is_causal: bool = False, past_kv=None) -> Tensor:
        """``attn_mask`` follows ``scaled_dot_product_attention`` (boolean True = may attend).

        With ``past_kv``, a KV cache (see the module docstring) holding the
        positions before ``x``'s, the block appends its keys and values of
        ``x`` to the cache (``past_kv.append(self.layer_idx, k, v)``, arrays:
        no gradient flows into the cache) and ``x``'s queries attend causally
        to every position held so far, as if the whole sequence had been fed:
        query ``i`` sees keys ``j <= past_kv.length + i``. ``attn_mask`` must
        then be None; the cache itself is advanced by ``GPT.forward``. The
        given ``self._attach_cache(past_kv, q, k, v, attn_mask)`` does the
        cache's part: it returns the keys, values and mask to attend with.
        """
        # BEGIN SOLUTION
        h = self.ln1(x)
        q, k, v = self.attn.project_qkv(h, h, h)
        if past_kv is not None:
            k, v, attn_mask = self._attach_cache(past_kv, q, k, v, attn_mask)
            is_causal = False
        x = x + self.attn_dropout(
            self.attn.attend(q, k, v, attn_mask=attn_mask, is_causal=is_causal)
        )
        return x + self.mlp(self.ln2(x))
        # END SOLUTION

    def _attach_cache(self, past_kv, q: Tensor, k: Tensor, v: Tensor, attn_mask):
        """Every position's keys and values from the cache; the new queries' causal mask."""
        if attn_mask is not None:
            raise ValueError(
                "TransformerBlock: give attn_mask or past_kv, not both (with a KV cache the "
                "new queries attend causally to every cached position)"
            )
        new, past = q.shape[2], past_kv.length
        keys, values = past_kv.append(self.layer_idx, k.data, v.data)
        expected = (q.shape[0], q.shape[1], past + new, q.shape[3])
        for name, x in (("keys", keys), ("values", values)):
            if tuple(x.shape) != expected:
                raise ValueError(
                    f"TransformerBlock {self.layer_idx}: past_kv returned {name} of shape "
                    f"{tuple(x.shape)}, expected (N, H, past_kv.length + new, head_dim) = "
                    f"{expected}: a cache made for another batch, model or length"
                )
        mask = None if new == 1 else causal_mask(new, past + new)
        return Tensor(keys), Tensor(values), mask


class GPT(Module):
    r"""A decoder-only transformer language model (Radford et al., 2018/2019).

    ``logits[n, t]`` scores the token that follows ``idx[n, :t + 1]``; a causal
    mask keeps every position from seeing later ones.

    Args:
        vocab_size: number of tokens.
        context_length: the most tokens the model looks at (positions it knows).
        embed_dim: d, the model width.
        num_heads: attention heads per block.
        num_layers: number of blocks.
        dropout: dropout on embeddings, attention weights and residual branches.
        tie_weights: share the token embedding with the output head
            (``head.weight is tok_emb.weight``), as GPT-2 does.
        positional: ``"learned"`` (GPT), ``"sinusoidal"`` (Vaswani et al.) or
            None (no position information at all: an ablation).
        seed: seeds the initial weights.

    Shape:
        input ``(N, T)`` integers with ``T <= context_length``; output ``(N, T, vocab_size)``.

    Linear and embedding weights start from N(0, 0.02), the projections into
    the residual stream from N(0, 0.02 / sqrt(2 num_layers)), biases at 0
    (GPT-2's initialisation).

    Examples:
        >>> model = GPT(vocab_size=65, context_length=64, embed_dim=128, num_heads=4, num_layers=2)
        >>> model(np.zeros((2, 10), dtype=np.int64)).shape
        (2, 10, 65)
    """

    def __init__(
        self,
        vocab_size: int,
        context_length: int,
        embed_dim: int,
        num_heads: int,
        num_layers: int,
        dropout: float = 0.0,
        tie_weights: bool = False,
        positional: str | None = "learned",
        seed: int | None = 0,
    ):
        super().__init__()
        self.vocab_size = vocab_size
        self.context_length = context_length
        self.tie_weights = tie_weights
        rng = np.random.default_rng(seed) if seed is not None else default_generator()
        self.tok_emb = Embedding(vocab_size, embed_dim, generator=rng)
        self.pos_emb = _positional(positional, context_length, embed_dim, rng)
        self.drop = Dropout(dropout)
        self.blocks = ModuleList(
            [
                TransformerBlock(embed_dim, num_heads, dropout, layer_idx=i)
                for i in range(num_layers)
            ]
        )
        self.ln_f = LayerNorm(embed_dim)
        self.head = Linear(embed_dim, vocab_size, bias=False)
        self._init_weights(rng, num_layers)
        if tie_weights:
            self.head.weight = self.tok_emb.weight

    def _init_weights(self, rng: np.random.Generator, num_layers: int) -> None:
        def normal(parameter, std):
            parameter.data[...] = rng.normal(0.0, std, parameter.shape).astype(parameter.dtype)

        for name, parameter in self.named_parameters():
            if name.endswith("bias"):
                parameter.data[...] = 0
            elif name.endswith("weight") and parameter.ndim == 2:
                residual = name.endswith(("out_proj.weight", "mlp.proj.weight"))
                normal(parameter, 0.02 / np.sqrt(2 * num_layers) if residual else 0.02)
        for block in self.blocks:
            block.ln1.weight.data[...] = 1
            block.ln2.weight.data[...] = 1
        self.ln_f.weight.data[...] = 1

    def embed(self, idx, start_pos: int = 0) -> Tensor:
        """Token plus position embeddings of ``idx`` (N, T) at positions ``start_pos`` onwards."""
        idx = idx.data if isinstance(idx, Tensor) else np.asarray(idx)
        if idx.ndim != 2:
            raise ValueError(f"GPT: expected token ids of shape (N, T), got shape {idx.shape}")
        length = idx.shape[1]
        if start_pos + length > self.context_length:
            raise ValueError(
                f"GPT: sequence of {start_pos + length} tokens is longer than context_length="
                f"{self.context_length}; crop it to the last {self.context_length} tokens"
            )
        x = self.tok_emb(idx)
        if self.pos_emb is not None:
            x = x + self.pos_emb(np.arange(start_pos, start_pos + length))
        return self.drop(x)

    def forward(self, idx, past_kv=None, use_cache: bool = False):
        """Logits ``(N, T, vocab_size)`` of the tokens ``idx`` ``(N, T)``.

        With ``past_kv``, a KV cache (see the module docstring) holding the
        keys and values of the ``past_kv.length`` tokens before ``idx``, the
        tokens sit at positions ``past_kv.length`` onwards and attend to the
        cached ones too; every block appends to the cache, which then holds
        ``T`` more positions. ``use_cache=True`` returns ``(logits, cache)``:
        ``past_kv``, or a new ``DynamicKVCache`` when ``past_kv`` is None.
        """
        # BEGIN SOLUTION
        if use_cache and past_kv is None:
            past_kv = DynamicKVCache()
        start = 0 if past_kv is None else past_kv.length
        x = self.embed(idx, start_pos=start)
        for block in self.blocks:
            x = block(x, is_causal=True, past_kv=past_kv)
        if past_kv is not None:
            past_kv.advance(x.shape[1])
        logits = self.head(self.ln_f(x))
        return (logits, past_kv) if use_cache else logits
        # END SOLUTION

    def generate(
        self,
        idx,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: np.random.Generator | int | None = None,
        use_cache: bool = False,
        past_kv=None,
    ) -> np.ndarray:
        r"""Sample ``max_new_tokens`` tokens after ``idx``, one at a time.

        Each step picks the next token from the logits of the last position
        with ``sample_next_token``: divide by ``temperature``, keep the
        ``top_k`` largest (if given), sample from the softmax. Without a
        cache, each step feeds the last ``context_length`` tokens (never
        more). With one (``use_cache``, or a cache given as ``past_kv``), the
        first step feeds the prompt and each later step the one new token;
        the tokens are the same, but the whole sequence must then fit in
        ``context_length`` (a cache cannot slide: positions would shift).

        Args:
            idx: ``(N, T)`` or ``(T,)`` token ids to continue.
            max_new_tokens: how many tokens to add.
            temperature: < 1 sharpens, > 1 flattens the distribution; 0 is greedy.
            top_k: sample among the k most likely tokens only.
            generator: a NumPy generator or an int seed, for reproducible samples.
            use_cache: keep a ``DynamicKVCache`` of keys and values between steps.
            past_kv: the KV cache to use and fill (for example tt-systems'
                preallocated ``KVCache``); it holds the first ``past_kv.length``
                tokens of ``idx`` already (usually none).

        Returns:
            ``idx`` with the new tokens appended, as an int64 array.
        """
        rng = (
            generator
            if isinstance(generator, np.random.Generator)
            else np.random.default_rng(generator)
        )
        tokens = np.asarray(idx.data if isinstance(idx, Tensor) else idx, dtype=np.int64)
        single = tokens.ndim == 1
        tokens = tokens[None, :] if single else tokens
        cache = DynamicKVCache() if use_cache and past_kv is None else past_kv
        if cache is not None:
            self._check_fits_without_sliding(tokens.shape[1], max_new_tokens)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                tokens = self._decode(tokens, max_new_tokens, temperature, top_k, rng, cache)
        finally:
            self.train(was_training)
        return tokens[0] if single else tokens

    def _decode(self, tokens, max_new_tokens, temperature, top_k, rng, cache) -> np.ndarray:
        """The decoding loop; returns ``tokens`` (N, T) with ``max_new_tokens`` columns appended.

        Each step feeds the model, without a cache the last ``context_length``
        tokens, with one the tokens it does not hold yet (``tokens[:,
        cache.length:]``, with ``past_kv=cache``); takes the logits of the last
        position as float64, picks one token per row with
        ``sample_next_token(logits, temperature, top_k, rng)`` and appends it.
        The last token picked is not fed back.
        """
        # BEGIN SOLUTION
        for _ in range(max_new_tokens):
            if cache is None:
                logits = self(tokens[:, -self.context_length :])
            else:
                logits = self(tokens[:, cache.length :], past_kv=cache)
            last = logits.data[:, -1, :].astype(np.float64)
            next_token = sample_next_token(last, temperature, top_k, rng)
            tokens = np.concatenate([tokens, next_token[:, None]], axis=1)
        return tokens
        # END SOLUTION

    def _check_fits_without_sliding(self, prompt_length: int, max_new_tokens: int) -> None:
        total = prompt_length + max_new_tokens
        if total > self.context_length:
            raise ValueError(
                f"GPT.generate: with a KV cache, a prompt of {prompt_length} plus "
                f"{max_new_tokens} new tokens is {total} positions, more than "
                f"context_length={self.context_length}; a KV cache cannot slide its window "
                "(positions would shift): generate without it (use_cache=False) to slide"
            )


def sample_next_token(
    logits: np.ndarray,
    temperature: float = 1.0,
    top_k: int | None = None,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    r"""Pick one token id per row of ``logits``, as ``GPT.generate`` does at each step.

    At temperature 0 the pick is greedy: ``argmax(logits)``. Otherwise the
    logits are divided by ``temperature``, all but the ``top_k`` largest (if
    given) are set to $-\infty$, and the token is drawn from

    $$
    p = \mathrm{softmax}(\text{logits} / \text{temperature})
    $$

    by inverse transform sampling: one uniform draw per row, compared with the
    cumulative sum of ``p``.

    Args:
        logits: ``(N, V)`` scores of the next token, one row per sequence.
        temperature: < 1 sharpens, > 1 flattens the distribution; 0 is greedy.
        top_k: sample among the k most likely tokens only.
        rng: the NumPy generator to draw from (pass the same one at every step);
            ``None`` draws from tinytorch's global generator (``manual_seed``).

    Returns:
        ``(N,)`` int64 token ids.
    """
    logits = np.asarray(logits)
    if logits.ndim != 2:
        raise ValueError(
            f"sample_next_token: logits must be (N, V), one row per sequence; "
            f"got shape {logits.shape}"
        )
    if temperature == 0:
        return logits.argmax(axis=-1)
    rng = default_generator() if rng is None else rng
    logits = logits / temperature
    if top_k is not None:
        k = min(top_k, logits.shape[-1])
        kth_largest = np.partition(logits, -k, axis=-1)[:, -k][:, None]
        logits = np.where(logits < kth_largest, -np.inf, logits)
    probs = np.exp(logits - logits.max(axis=-1, keepdims=True))
    probs /= probs.sum(axis=-1, keepdims=True)
    cumulative = probs.cumsum(axis=-1)
    draws = rng.random((logits.shape[0], 1)) * cumulative[:, -1:]
    return (cumulative < draws).sum(axis=-1).clip(max=logits.shape[-1] - 1)


def _positional(kind: str | None, context_length: int, embed_dim: int, rng: np.random.Generator):
    if kind == "learned":
        return LearnedPositionalEmbedding(context_length, embed_dim, generator=rng)
    if kind == "sinusoidal":
        return SinusoidalPositionalEncoding(embed_dim, max_len=context_length)
    if kind is None:
        return None
    raise ValueError(f"GPT: positional must be 'learned', 'sinusoidal' or None, got {kind!r}")
