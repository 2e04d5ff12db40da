"""The layers of a transformer: Embedding, positional encodings, LayerNorm, MultiheadAttention.

Names, arguments and parameter names follow ``torch.nn``, so PyTorch's
weights can be copied in and compared.
"""

from __future__ import annotations

import numpy as np
from tinytorch.autograd import Function, per_element_flops
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
        max_norm: only None (renormalising rows is not implemented).
        norm_type: the p of the max_norm norm (unused without max_norm).
        scale_grad_by_freq: only False.
        sparse: only False (gradients are dense).
        device: only None or ``"cpu"``.
        dtype: the weight's dtype (default float32).
        generator: NumPy generator for the initial weights.

    Shape:
        input ``(*)`` integers in ``[0, num_embeddings)``, output ``(*, embedding_dim)``.

    Attributes:
        weight: ``(num_embeddings, embedding_dim)``, initialised from N(0, 1) as in PyTorch.

    Examples:
        >>> emb = Embedding(65, 16)
        >>> emb(np.array([[1, 2, 3]])).shape
        (1, 3, 16)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        device=None,
        dtype=None,
        *,
        generator: np.random.Generator | None = None,
    ):
        super().__init__()
        F.check_embedding_options("Embedding", max_norm, scale_grad_by_freq, sparse)
        F.refuse_unsupported("Embedding", device=(device, (None, "cpu")))
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise ValueError(
                f"Embedding: padding_idx {padding_idx} must be within "
                f"num_embeddings={num_embeddings}"
            )
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx % num_embeddings if padding_idx is not None else None
        rng = generator if generator is not None else default_generator()
        dtype = np.float32 if dtype is None else dtype
        weight = rng.standard_normal((num_embeddings, embedding_dim)).astype(dtype)
        if self.padding_idx is not None:
            weight[self.padding_idx] = 0
        self.weight = Parameter(weight)

    def forward(self, input) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx)

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
        self, max_len: int, embedding_dim: int, *, generator: np.random.Generator | None = None
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
        bias: with ``elementwise_affine``, learn ``bias`` too (False: ``weight`` only).
        device: only None or ``"cpu"``.
        dtype: the parameters' dtype (default float32).

    Shape:
        input ``(*, *normalized_shape)``, output the same.

    Examples:
        >>> ln = LayerNorm(128)
        >>> ln(tinytorch.tensor.randn(4, 64, 128)).shape
        (4, 64, 128)
    """

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        F.refuse_unsupported("LayerNorm", device=(device, (None, "cpu")))
        dtype = np.float32 if dtype is None else dtype
        shape = (
            (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        )
        self.normalized_shape = shape
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(shape, dtype=dtype))
            if bias:
                self.bias = Parameter(np.zeros(shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input: Tensor) -> Tensor:
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class SplitHeads(Function):
    """(N*L, P*E) packed projections -> P arrays (N, H, L, E/H); backward packs them back.

    ``forward(ctx, packed, batch, length, parts, num_heads)``: row ``n * L + l``
    of ``packed`` is position ``l`` of sequence ``n``; its columns are ``parts``
    blocks of E (for example q, k, v), each block ``num_heads`` slices of E/H
    side by side. Part ``p``, head ``h`` is columns ``p*E + h*E/H`` to
    ``p*E + (h+1)*E/H``. Returns a tuple of ``parts`` C-contiguous arrays
    ``(N, H, L, E/H)``. ``backward(ctx, *grads)`` gets one read-only gradient
    per part (never write into them) and returns ``(grad_packed, None, None,
    None, None)`` with ``grad_packed`` in ``packed``'s shape.
    """

    flops = per_element_flops(0, 0)  # moves data only

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

    As ``torch.nn.MultiheadAttention``: the same arguments in the same order
    and with the same defaults (``batch_first=False``: inputs are
    ``(L, N, E)``; ``need_weights=True`` returns the weights averaged over the
    heads). The query, key and value projections of all heads are one matrix,
    ``in_proj_weight`` (3E x E, rows q, k, v), so a self-attention projection
    is one matmul; the heads then attend in one batched fused attention.

    Args:
        embed_dim: E, the model width.
        num_heads: H; each head has E / H dims.
        dropout: dropout probability on the attention weights (training mode only).
        bias: learn ``in_proj_bias`` and ``out_proj.bias``.
        add_bias_kv: only False is supported.
        add_zero_attn: only False is supported.
        kdim: the key width; only None or ``embed_dim`` is supported.
        vdim: the value width; only None or ``embed_dim`` is supported.
        batch_first: inputs and output are ``(N, L, E)`` instead of ``(L, N, E)``.
        device: only None or ``"cpu"``.
        dtype: the parameters' dtype (default float32).
        generator: NumPy generator for the initial weights and the dropout masks.

    Shape:
        query ``(L, N, E)``, key and value ``(S, N, E)``, output ``(L, N, E)``
        (``(N, L, E)``, ``(N, S, E)`` with ``batch_first=True``); attention
        weights ``(N, L, S)`` averaged over heads, ``(N, H, L, S)`` otherwise.

    Attributes:
        in_proj_weight: ``(3E, E)``, Xavier-uniform. in_proj_bias: ``(3E,)``, zeros.
        out_proj: ``Linear(E, E)`` with a zero bias.

    Examples:
        >>> mha = MultiheadAttention(128, 4, batch_first=True)
        >>> x = tinytorch.tensor.randn(2, 10, 128)
        >>> out, weights = mha(x, x, x)
        >>> out.shape, weights.shape
        ((2, 10, 128), (2, 10, 10))
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device=None,
        dtype=None,
        *,
        generator: np.random.Generator | None = None,
    ):
        super().__init__()
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: embed_dim={embed_dim} must be divisible by "
                f"num_heads={num_heads}"
            )
        F.check_dropout_p(dropout, "MultiheadAttention")
        F.refuse_unsupported(
            "MultiheadAttention",
            add_bias_kv=(add_bias_kv, False),
            add_zero_attn=(add_zero_attn, False),
            kdim=(kdim, (None, embed_dim)),
            vdim=(vdim, (None, embed_dim)),
            device=(device, (None, "cpu")),
        )
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.generator = generator
        rng = generator if generator is not None else default_generator()
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype=np.float32))
        init.xavier_uniform_(self.in_proj_weight, generator=rng)
        self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype=np.float32)) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)
        if bias:
            self.out_proj.bias.data[...] = 0
        if dtype is not None:
            self.to(dtype)

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
        """The per-head queries, keys and values, each ``(N, H, L or S, E/H)``.

        The inputs are batch first, ``(N, L, E)`` and ``(N, S, E)``, whatever
        ``batch_first`` says (``forward`` transposes before it calls this).
        """
        self._check_inputs(query, key, value, batch_first=True)
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
        """Attention of projected heads, then the output projection: ``(N, L, E)``.

        ``attn_mask`` follows ``scaled_dot_product_attention`` (boolean True = may attend).
        """
        dropout_p = self.dropout if self.training else 0.0
        heads = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=dropout_p, is_causal=is_causal,
            generator=self.generator,
        )
        return self.out_proj(merge_heads(heads))

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask=None,
        need_weights: bool = True,
        attn_mask=None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ):
        """Returns ``(attn_output, attn_weights)``; the weights are None unless ``need_weights``.

        The masks follow ``torch.nn.MultiheadAttention``: boolean (True marks
        a key that may NOT be attended to, the opposite of
        ``scaled_dot_product_attention``) or floating point (added to the
        scores); integer masks are refused. ``key_padding_mask`` is ``(N, S)``,
        ``attn_mask`` ``(L, S)`` or ``(N * H, L, S)``. ``is_causal`` lets query
        ``i`` attend to keys ``j <= i`` (top-left aligned), on top of the
        other masks; unlike PyTorch, it needs no ``attn_mask``.

        The weights are the (dropped-out) attention probabilities the output
        was made of, with a gradient: ``(N, L, S)`` averaged over the heads
        when ``average_attn_weights``, else ``(N, H, L, S)``.

        Unbatched inputs ``(L, E)``, ``(S, E)`` (with ``key_padding_mask``
        ``(S,)``, ``attn_mask`` ``(L, S)`` or ``(H, L, S)``) give an ``(L, E)``
        output and weights without the N axis, as in PyTorch.

        Inputs of the wrong shape are refused in the caller's layout, before
        anything is transposed: ``self._check_inputs(query, key, value,
        self.batch_first)`` names ``(L, N, E)`` when ``batch_first`` is False. The masks
        apply whether or not the weights are wanted (``need_weights=False`` gives the
        same output).
        """
        if query.ndim == 2:
            return self._forward_unbatched(
                query, key, value, key_padding_mask, need_weights, attn_mask,
                average_attn_weights, is_causal,
            )
        # BEGIN SOLUTION
        self._check_inputs(query, key, value, self.batch_first)
        if not self.batch_first:  # (L, N, E) -> (N, L, E), keeping self-attention's identity
            query, key, value = _swap_batch_and_length(query, key, value)
        batch, target_length, source_length = query.shape[0], query.shape[1], key.shape[1]
        mask = self._additive_mask(
            attn_mask, key_padding_mask, batch, target_length, source_length, query.dtype
        )
        if is_causal:  # one additive mask, so the output and the weights see the same one
            allowed = np.tri(target_length, source_length, dtype=bool)
            causal = np.where(allowed, 0.0, -np.inf).astype(query.dtype)
            mask = causal if mask is None else mask + causal
        q, k, v = self.project_qkv(query, key, value)
        dropout_p = self.dropout if self.training else 0.0
        heads, weights = F.attention_with_weights(
            q, k, v, attn_mask=mask, dropout_p=dropout_p, generator=self.generator,
            need_weights=need_weights,
        )
        output = self.out_proj(merge_heads(heads))
        if not self.batch_first:
            output = output.transpose(0, 1)
        if weights is not None and average_attn_weights:
            weights = weights.mean(axis=1)
        return output, weights
        # END SOLUTION

    def _forward_unbatched(
        self, query, key, value, key_padding_mask, need_weights, attn_mask, average, is_causal
    ):
        """``forward`` of ``(L, E)`` inputs: a batch of one, without its N axis in the results."""
        if key.ndim != 2 or value.ndim != 2:
            raise ValueError(
                f"MultiheadAttention: an unbatched query {tuple(query.shape)} needs unbatched "
                f"key and value (S, {self.embed_dim}), got {tuple(key.shape)} and "
                f"{tuple(value.shape)}"
            )
        batch_axis = 0 if self.batch_first else 1
        batched = {id(x): x.unsqueeze(batch_axis) for x in (query, key, value)}
        if key_padding_mask is not None:
            key_padding_mask = _mask_array(key_padding_mask)[None]  # (S,) -> (1, S)
        output, weights = self.forward(
            batched[id(query)], batched[id(key)], batched[id(value)], key_padding_mask,
            need_weights, attn_mask, average, is_causal,
        )
        return output.squeeze(batch_axis), None if weights is None else weights.squeeze(0)

    def _check_inputs(self, query: Tensor, key: Tensor, value: Tensor, batch_first: bool) -> None:
        layout = "(N, L, E)" if batch_first else "(L, N, E)"
        for name, x in (("query", query), ("key", key), ("value", value)):
            if x.ndim != 3 or x.shape[-1] != self.embed_dim:
                expected = layout.replace("E", str(self.embed_dim))
                raise ValueError(
                    f"MultiheadAttention: expected {name} of shape {expected} "
                    f"(batch_first={batch_first}), got {tuple(x.shape)}"
                )
        batch_axis, length_axis = (0, 1) if batch_first else (1, 0)
        same_source = key.shape[length_axis] == value.shape[length_axis]
        same_batch = query.shape[batch_axis] == key.shape[batch_axis] == value.shape[batch_axis]
        if not (same_source and same_batch):
            raise ValueError(
                f"MultiheadAttention: key and value need the same S and all three the same N "
                f"(layout {layout}, batch_first={batch_first}), got query {tuple(query.shape)}, "
                f"key {tuple(key.shape)}, value {tuple(value.shape)}"
            )

    def _additive_mask(
        self, attn_mask, key_padding_mask, batch: int, target_length: int, source_length: int,
        dtype,
    ) -> np.ndarray | None:
        """The module's masks (True = blocked) as one additive mask (0 or -inf).

        The result broadcasts against the scores ``(N, H, L, S)``.
        """
        heads = self.num_heads
        total = None
        if attn_mask is not None:
            expected = [
                (target_length, source_length),
                (batch * heads, target_length, source_length),
            ]
            total = _mask_as_scores("attn_mask", attn_mask, expected, dtype)
            if total.ndim == 3:
                total = total.reshape(batch, heads, target_length, source_length)
        if key_padding_mask is not None:
            expected = [(batch, source_length)]
            padding = _mask_as_scores("key_padding_mask", key_padding_mask, expected, dtype)
            padding = padding[:, None, None, :]  # (N, 1, 1, S)
            total = padding if total is None else total + padding
        return total

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"batch_first={self.batch_first}"
        )


MultiHeadAttention = MultiheadAttention


def _swap_batch_and_length(query: Tensor, key: Tensor, value: Tensor):
    """Transpose the first two axes of each input, once per distinct tensor."""
    swapped = {}
    for x in (query, key, value):
        if id(x) not in swapped:
            swapped[id(x)] = x.transpose(0, 1)
    return swapped[id(query)], swapped[id(key)], swapped[id(value)]


def _mask_array(mask) -> np.ndarray:
    return mask.data if isinstance(mask, Tensor) else np.asarray(mask)


def _mask_as_scores(name: str, mask, expected_shapes, dtype) -> np.ndarray:
    """A MultiheadAttention mask as numbers added to the scores: bool True -> -inf, float as is."""
    mask = _mask_array(mask)
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise TypeError(
            f"MultiheadAttention: only bool and floating point {name} are supported "
            f"(True or -inf marks a key that may not be attended to), got dtype {mask.dtype}"
        )
    if tuple(mask.shape) not in expected_shapes:
        shapes = " or ".join(str(shape) for shape in expected_shapes)
        raise ValueError(
            f"MultiheadAttention: expected {name} of shape {shapes}, got {tuple(mask.shape)}"
        )
    if mask.dtype == np.bool_:
        return np.where(mask, -np.inf, 0.0).astype(dtype)
    return mask.astype(dtype)
