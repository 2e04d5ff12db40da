"""The layers of a transformer: Embedding, positional encodings, LayerNorm, MultiheadAttention.

Names, arguments and parameter names follow ``torch.nn``, so PyTorch's
weights can be copied in and compared.
"""

from __future__ import annotations

import numpy as np
from tinytorch.autograd import Function
from tinytorch.nn import Linear, Module, Parameter, init
from tinytorch.nn.functional import linear
from tinytorch.tensor import Tensor, default_generator

from . import functional as F

__all__ = [
    "Embedding",
    "LearnedPositionalEmbedding",
    "SinusoidalPositionalEncoding",
    "LayerNorm",
    "MultiheadAttention",
    "MultiHeadAttention",
]


class Embedding(Module):
    r"""A lookup table: ``out[..., :] = weight[input[...], :]``.

    Args:
        num_embeddings: the vocabulary size.
        embedding_dim: the size of each vector.
        padding_idx: if given, this row starts at zero and its gradient is
            always zero (a padding token that learns nothing).
        generator: NumPy generator for the initial weights.

    Shape:
        input ``(*)`` integers in ``[0, num_embeddings)``, output ``(*, embedding_dim)``.

    Attributes:
        weight: ``(num_embeddings, embedding_dim)``, initialised from N(0, 1) as in PyTorch.

    Examples::

        >>> emb = Embedding(65, 16)
        >>> emb(np.array([[1, 2, 3]])).shape
        (1, 3, 16)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        generator: np.random.Generator | None = None,
    ):
        super().__init__()
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(
                f"Embedding: padding_idx {padding_idx} must be within "
                f"num_embeddings={num_embeddings}"
            )
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx % num_embeddings if padding_idx is not None else None
        rng = generator if generator is not None else default_generator()
        weight = rng.standard_normal((num_embeddings, embedding_dim)).astype(np.float32)
        if self.padding_idx is not None:
            weight[self.padding_idx] = 0
        self.weight = Parameter(weight)

    def forward(self, input) -> Tensor:
        # BEGIN SOLUTION
        return F.embedding(input, self.weight, self.padding_idx)
        # END SOLUTION

    def extra_repr(self) -> str:
        padding = f", padding_idx={self.padding_idx}" if self.padding_idx is not None else ""
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


class LearnedPositionalEmbedding(Embedding):
    r"""One learned vector per position: ``out[t] = weight[positions[t]]`` (GPT-2's ``wpe``).

    Args:
        max_len: the number of positions (the context length).
        embedding_dim: the size of each vector.

    Shape:
        input: integer positions ``(*)``, output ``(*, embedding_dim)``.
    """

    def __init__(
        self, max_len: int, embedding_dim: int, generator: np.random.Generator | None = None
    ):
        super().__init__(max_len, embedding_dim, generator=generator)

    def forward(self, positions) -> Tensor:
        positions = positions.data if isinstance(positions, Tensor) else np.asarray(positions)
        if positions.size and positions.max() >= self.num_embeddings:
            raise IndexError(
                f"LearnedPositionalEmbedding: position {int(positions.max())} is past the "
                f"{self.num_embeddings} positions it was built for (max_len={self.num_embeddings})"
            )
        return F.embedding(positions, self.weight)


class SinusoidalPositionalEncoding(Module):
    r"""Fixed encodings: PE[p, 2i] = sin(p w_i), PE[p, 2i+1] = cos(p w_i), w_i = 10000^(-2i/d).

    Nothing is learned; the table is a constant. Relative offsets are linear
    maps of these vectors, which is what Vaswani et al. (2017) chose them for.

    Args:
        embedding_dim: d, the size of each vector.
        max_len: the number of positions in the table.

    Shape:
        input: integer positions ``(*)``, output ``(*, embedding_dim)``.
    """

    def __init__(self, embedding_dim: int, max_len: int = 4096):
        super().__init__()
        self.embedding_dim = embedding_dim
        self.max_len = max_len
        table = F.sinusoidal_positional_encoding(max_len, embedding_dim)
        self.register_buffer("table", Tensor(table), persistent=False)

    def forward(self, positions) -> Tensor:
        positions = positions.data if isinstance(positions, Tensor) else np.asarray(positions)
        F.check_indices(positions, self.max_len, layer="SinusoidalPositionalEncoding")
        return Tensor(self.table.data[positions])

    def extra_repr(self) -> str:
        return f"{self.embedding_dim}, max_len={self.max_len}"


class LayerNorm(Module):
    r"""y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the trailing ``normalized_shape``.

    Each sample is normalized on its own (unlike batch norm), with the biased
    variance, so training and evaluation behave alike. The backward is the
    closed form in ``LayerNormFunction``.

    Args:
        normalized_shape: the trailing shape to normalize over (an int for the last dim).
        eps: added to the variance for stability.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros).

    Shape:
        input ``(*, *normalized_shape)``, output the same.

    Examples::

        >>> ln = LayerNorm(128)
        >>> ln(tinytorch.tensor.randn(4, 64, 128)).shape
        (4, 64, 128)
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True):
        super().__init__()
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(shape, dtype=np.float32))
            self.bias = Parameter(np.zeros(shape, dtype=np.float32))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        # BEGIN SOLUTION
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)
        # END SOLUTION

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class SplitHeads(Function):
    """(N*L, P*E) packed projections -> P arrays (N, H, L, E/H); backward packs them back."""

    @staticmethod
    def forward(ctx, packed, batch, length, parts, num_heads):
        # BEGIN SOLUTION
        head_dim = packed.shape[-1] // (parts * num_heads)
        split = packed.reshape(batch, length, parts, num_heads, head_dim).transpose(2, 0, 3, 1, 4)
        ctx.shape = packed.shape
        return tuple(np.ascontiguousarray(split[p]) for p in range(parts))
        # END SOLUTION

    @staticmethod
    def backward(ctx, *grads):
        # BEGIN SOLUTION
        stacked = np.stack(grads)  # (P, N, H, L, E/H)
        packed = stacked.transpose(1, 3, 0, 2, 4).reshape(ctx.shape)
        return packed, None, None, None, None
        # END SOLUTION


def merge_heads(x: Tensor) -> Tensor:
    """(N, H, L, E/H) -> (N, L, E): the heads side by side again."""
    batch, heads, length, head_dim = x.shape
    return x.permute(0, 2, 1, 3).reshape(batch, length, heads * head_dim)


class MultiheadAttention(Module):
    r"""MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O^T + b_O,
    head_i = Attention(Q W_Q,i^T, K W_K,i^T, V W_V,i^T)  (Vaswani et al., 2017).

    The query, key and value projections of all heads are one matrix,
    ``in_proj_weight`` (3E x E, rows q, k, v), as in ``torch.nn.MultiheadAttention``,
    so a self-attention projection is one matmul; the heads then attend in one
    batched ``scaled_dot_product_attention``.

    Args:
        embed_dim: E, the model width.
        num_heads: H; each head has E / H dims.
        bias: learn ``in_proj_bias`` and ``out_proj.bias``.
        dropout: dropout on the attention weights (only in training mode).
        batch_first: inputs are ``(N, L, E)`` (only True is supported).

    Shape:
        query ``(N, L, E)``, key and value ``(N, S, E)``, output ``(N, L, E)``;
        attention weights ``(N, L, S)`` averaged over heads when asked for.

    Attributes:
        in_proj_weight: ``(3E, E)``, Xavier-uniform. in_proj_bias: ``(3E,)``, zeros.
        out_proj: ``Linear(E, E)`` with a zero bias.

    Examples::

        >>> mha = MultiheadAttention(128, 4)
        >>> x = tinytorch.tensor.randn(2, 10, 128)
        >>> out, _ = mha(x, x, x, is_causal=True)
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        bias: bool = True,
        dropout: float = 0.0,
        batch_first: bool = True,
        generator: np.random.Generator | None = None,
    ):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim={embed_dim} must be divisible by "
                f"num_heads={num_heads}"
            )
        if not batch_first:
            raise ValueError(
                "MultiheadAttention: only batch_first=True inputs (N, L, E) are supported"
            )
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        rng = generator if generator is not None else default_generator()
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=np.float32))
        init.xavier_uniform_(self.in_proj_weight, generator=rng)
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=np.float32)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if bias:
            self.out_proj.bias.data[...] = 0

    def _project(self, x: Tensor, first_row: int, parts: int) -> tuple[Tensor, ...]:
        """Project ``x`` (N, L, E) with in_proj rows from ``first_row``, ``parts`` x E of them."""
        batch, length, _ = x.shape
        rows = slice(first_row, first_row + parts * self.embed_dim)
        whole = rows == slice(0, 3 * self.embed_dim)
        weight = self.in_proj_weight if whole else self.in_proj_weight[rows]
        bias = self.in_proj_bias
        if bias is not None and not whole:
            bias = bias[rows]
        packed = linear(x.reshape(batch * length, self.embed_dim), weight, bias)
        heads = SplitHeads.apply(packed, batch, length, parts, self.num_heads)
        return heads if isinstance(heads, tuple) else (heads,)

    def project_qkv(self, query: Tensor, key: Tensor, value: Tensor):
        """The per-head queries, keys and values, each ``(N, H, L or S, E/H)``."""
        self._check_inputs(query, key, value)
        if query is key and key is value:
            return self._project(query, 0, 3)
        q = self._project(query, 0, 1)[0]
        if key is value:
            k, v = self._project(key, self.embed_dim, 2)
        else:
            k = self._project(key, self.embed_dim, 1)[0]
            v = self._project(value, 2 * self.embed_dim, 1)[0]
        return q, k, v

    def attend(
        self, q: Tensor, k: Tensor, v: Tensor, attn_mask=None, is_causal: bool = False
    ) -> Tensor:
        """Attention of projected heads, then the output projection: ``(N, L, E)``."""
        dropout_p = self.dropout if self.training else 0.0
        heads = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=dropout_p, is_causal=is_causal
        )
        return self.out_proj(merge_heads(heads))

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask=None,
        need_weights: bool = False,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        """Returns ``(attn_output, attn_weights)``; the weights are None unless ``need_weights``.

        ``attn_mask`` and ``key_padding_mask`` follow PyTorch's convention *for
        this module*: a boolean True marks a position that is NOT allowed to
        attend (the opposite of ``scaled_dot_product_attention``); a float mask
        is added to the scores. ``is_causal`` lets query ``i`` attend to keys
        ``j <= i`` (top-left aligned, as ``scaled_dot_product_attention``), on
        top of the other masks.
        """
        # BEGIN SOLUTION
        q, k, v = self.project_qkv(query, key, value)  # checks the shapes
        mask = _module_mask_to_sdpa(attn_mask, key_padding_mask, self.num_heads, query.dtype)
        if is_causal:  # one additive mask, so the output and the weights see the same one
            allowed = np.tri(query.shape[1], key.shape[1], dtype=bool)
            causal = np.where(allowed, 0.0, -np.inf).astype(query.dtype)
            mask = causal if mask is None else mask + causal
        output = self.attend(q, k, v, attn_mask=mask)
        weights = self._weights(q, k, mask, average_attn_weights) if need_weights else None
        return output, weights
        # END SOLUTION

    def _weights(self, q: Tensor, k: Tensor, mask, average: bool) -> Tensor:
        """The attention probabilities (no gradient), for inspection."""
        scores = q.data @ k.data.swapaxes(-1, -2) / np.sqrt(np.float32(self.head_dim))
        if mask is not None:
            scores = scores + mask
        probs = F.masked_softmax(scores.astype(q.dtype))
        return Tensor(probs.mean(axis=1) if average else probs)

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor) -> None:
        for name, x in (("query", query), ("key", key), ("value", value)):
            if x.ndim != 3 or x.shape[-1] != self.embed_dim:
                raise ValueError(
                    f"MultiheadAttention: expected {name} of shape (N, L, {self.embed_dim}) "
                    f"(batch_first), got {tuple(x.shape)}"
                )
        if key.shape[:2] != value.shape[:2] or query.shape[0] != key.shape[0]:
            raise ValueError(
                "MultiheadAttention: key and value need the same (N, S) and query the same N, got "
                f"query {tuple(query.shape)}, key {tuple(key.shape)}, value {tuple(value.shape)}"
            )

    def extra_repr(self) -> str:
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"


MultiHeadAttention = MultiheadAttention


def _module_mask_to_sdpa(attn_mask, key_padding_mask, num_heads: int, dtype) -> np.ndarray | None:
    """nn.MultiheadAttention's masks (True = blocked) as one additive mask (0 or -inf).

    ``attn_mask`` is ``(L, S)`` or ``(N * H, L, S)``; ``key_padding_mask`` is ``(N, S)``.
    The result broadcasts against the scores ``(N, H, L, S)``.
    """
    total = None
    if attn_mask is not None:
        mask = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        total = (
            np.where(mask, -np.inf, 0.0).astype(dtype)
            if mask.dtype == np.bool_
            else mask.astype(dtype)
        )
        if total.ndim == 3:
            total = total.reshape(-1, num_heads, *total.shape[1:])
    if key_padding_mask is not None:
        padding = (
            key_padding_mask.data
            if isinstance(key_padding_mask, Tensor)
            else np.asarray(key_padding_mask)
        )
        padding = np.where(padding, -np.inf, 0.0) if padding.dtype == np.bool_ else padding
        padding = padding.astype(dtype)[:, None, None, :]  # (N, 1, 1, S)
        total = padding if total is None else total + padding
    return total
