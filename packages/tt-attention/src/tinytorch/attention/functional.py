"""Functional forms of the attention layers, each a fused ``Function``.

Attention, layer normalization and embedding lookups run on every token of
every layer, so each is one ``tinytorch.autograd.Function`` with a
hand-written backward instead of a chain of small Tensor ops: fewer
temporaries, no graph bookkeeping per elementwise step. Every one of them is
checked against finite differences with ``gradcheck`` in the tests.

Names and signatures follow ``torch.nn.functional``.
"""

from __future__ import annotations

import math

import numpy as np
from tinytorch.autograd import Function, per_element_flops, requires_grad, unbroadcast
from tinytorch.tensor import Tensor, default_generator

__all__ = [
    "embedding",
    "layer_norm",
    "scaled_dot_product_attention",
    "causal_mask",
    "sinusoidal_positional_encoding",
]


def _array(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def refuse_unsupported(layer: str, **arguments) -> None:
    """Raise NotImplementedError for an argument PyTorch has but tinytorch does not implement.

    Each keyword is ``name=(value, allowed)``, ``allowed`` one value or a tuple of them.
    """
    for name, (value, allowed) in arguments.items():
        allowed = allowed if isinstance(allowed, tuple) else (allowed,)
        if value not in allowed:
            raise NotImplementedError(
                f"{layer}: {name}={value!r} is not supported by tinytorch "
                f"(only {' or '.join(repr(a) for a in allowed)})"
            )


# ---------------------------------------------------------------------------
# Embedding
# ---------------------------------------------------------------------------


def check_indices(indices: np.ndarray, num_embeddings: int, layer: str = "Embedding") -> None:
    """Raise a clear error unless ``indices`` are integers in ``[0, num_embeddings)``."""
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{layer}: indices must be integers, got dtype {indices.dtype}")
    if indices.size == 0:
        return
    low, high = int(indices.min()), int(indices.max())
    if low < 0 or high >= num_embeddings:
        bad = low if low < 0 else high
        raise IndexError(
            f"{layer}: index {bad} is out of range for num_embeddings={num_embeddings} "
            f"(expected 0 <= index < {num_embeddings})"
        )


class EmbeddingFunction(Function):
    """out[..., :] = weight[indices[...], :]: a lookup of rows.

    ``forward(ctx, weight, indices, padding_idx)`` takes ``weight`` ``(V, D)``
    and integer ``indices`` of any shape ``(*)`` (already checked to be in
    range) and returns ``(*, D)``. ``backward(ctx, grad_out)`` gets
    ``grad_out`` ``(*, D)`` (read-only: never write into it) and returns
    ``(grad_weight, None, None)``: ``grad_weight`` is ``(V, D)`` in
    ``grad_out``'s dtype, correct when an index occurs many times, and zero in
    the row ``padding_idx`` (when it is not None). The guide's hints explain
    how a lookup's gradient is formed.
    """

    flops = per_element_flops(0, 0)  # a lookup moves data only

    @staticmethod
    def forward(ctx, weight, indices, padding_idx=None):
        # BEGIN SOLUTION
        ctx.save_for_backward(indices)
        ctx.weight_shape = weight.shape
        ctx.padding_idx = padding_idx
        return weight[indices]
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_out):
        # BEGIN SOLUTION
        (indices,) = ctx.saved_tensors
        num_embeddings, dim = ctx.weight_shape
        grad_weight = np.zeros((num_embeddings, dim), dtype=grad_out.dtype)
        flat = indices.reshape(-1)
        if flat.size:
            order = np.argsort(flat, kind="stable")
            sorted_indices = flat[order]
            run_starts = np.flatnonzero(np.r_[True, sorted_indices[1:] != sorted_indices[:-1]])
            rows = grad_out.reshape(-1, dim)[order]
            grad_weight[sorted_indices[run_starts]] = np.add.reduceat(rows, run_starts, axis=0)
        if ctx.padding_idx is not None:
            grad_weight[ctx.padding_idx] = 0
        return grad_weight, None, None
        # END SOLUTION


def check_embedding_options(layer: str, max_norm, scale_grad_by_freq, sparse) -> None:
    """NotImplementedError for PyTorch's embedding options that tinytorch does not implement."""
    refuse_unsupported(
        layer,
        max_norm=(max_norm, None),
        scale_grad_by_freq=(scale_grad_by_freq, False),
        sparse=(sparse, False),
    )


def embedding(
    input,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Look up rows of ``weight``: ``out[..., :] = weight[input[...], :]``.

    Args:
        input: integer indices of any shape (a Tensor or array).
        weight: the table, shape ``(num_embeddings, embedding_dim)``.
        padding_idx: a row whose gradient is always zero.
        max_norm: only None (renormalising rows is not implemented).
        norm_type: the p of the max_norm norm (unused without max_norm).
        scale_grad_by_freq: only False.
        sparse: only False (gradients are dense).

    Shape:
        input ``(*)``, output ``(*, embedding_dim)``.
    """
    check_embedding_options("embedding", max_norm, scale_grad_by_freq, sparse)
    indices = _array(input)
    check_indices(indices, weight.shape[0])
    return EmbeddingFunction.apply(weight, indices, padding_idx)


# ---------------------------------------------------------------------------
# Layer normalization
# ---------------------------------------------------------------------------


class LayerNormFunction(Function):
    r"""y = (x - mean) / sqrt(var + eps) * weight + bias over the last ``n_axes`` axes.

    ``mean`` and ``var`` are taken over the last ``n_axes`` axes of each
    position, ``var`` the *biased* variance (divided by the number of
    elements, as PyTorch), ``eps`` added inside the square root. ``weight``
    and ``bias`` have the normalized shape, or are None (then that step is
    skipped). The output has ``x``'s shape and dtype.

    ``backward(ctx, grad_out)`` gets ``grad_out`` (read-only: never write into
    it) and returns ``(grad_x, grad_weight, grad_bias, None, None)``, with the
    shapes of ``x``, ``weight`` and ``bias``; a gradient is ``None`` when
    ``ctx.needs_input_grad`` says that input needs none (one entry per
    argument of ``forward``, in order: ``(x, weight, bias, n_axes, eps)``; the
    entry of a weight or bias that is None is False). The derivation is in the
    guide's hints.
    """

    flops = per_element_flops(8, 10)  # mean, center, square, mean, rsqrt, scale, affine

    @staticmethod
    def forward(ctx, x, weight, bias, n_axes, eps):
        # BEGIN SOLUTION
        axes = tuple(range(x.ndim - n_axes, x.ndim))
        centered = x - x.mean(axis=axes, keepdims=True)
        variance = (centered * centered).mean(axis=axes, keepdims=True)
        rstd = 1.0 / np.sqrt(variance + np.asarray(eps, dtype=x.dtype))
        x_hat = centered * rstd
        ctx.save_for_backward(x_hat, rstd, weight)
        ctx.axes = axes
        out = x_hat * weight if weight is not None else x_hat.copy()
        if bias is not None:
            out += bias
        return out
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_out):
        # BEGIN SOLUTION
        x_hat, rstd, weight = ctx.saved_tensors
        axes = ctx.axes
        batch_axes = tuple(range(grad_out.ndim - len(axes)))
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            g = grad_out * weight if weight is not None else grad_out
            mean_g = g.mean(axis=axes, keepdims=True)
            mean_g_xhat = (g * x_hat).mean(axis=axes, keepdims=True)
            grad_x = rstd * (g - mean_g - x_hat * mean_g_xhat)
        if len(ctx.needs_input_grad) > 1 and ctx.needs_input_grad[1]:
            grad_weight = (grad_out * x_hat).sum(axis=batch_axes)
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            grad_bias = grad_out.sum(axis=batch_axes)
        return grad_x, grad_weight, grad_bias, None, None
        # END SOLUTION


def layer_norm(
    input: Tensor,
    normalized_shape,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Layer normalization over the trailing ``normalized_shape`` dims.

    ``y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias`` with the biased
    variance, as ``torch.nn.functional.layer_norm``.
    """
    normalized_shape = (
        (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    )
    if tuple(input.shape[input.ndim - len(normalized_shape) :]) != normalized_shape:
        raise ValueError(
            f"layer_norm: expected input with trailing shape {normalized_shape}, "
            f"got shape {tuple(input.shape)}"
        )
    return LayerNormFunction.apply(input, weight, bias, len(normalized_shape), eps)


# ---------------------------------------------------------------------------
# Scaled dot-product attention
# ---------------------------------------------------------------------------


def causal_mask(target_length: int, source_length: int | None = None) -> np.ndarray:
    """Boolean mask, True where query ``i`` may attend to key ``j`` (``j <= i``).

    When the keys are longer than the queries (cached keys of earlier tokens
    come first), the queries are the *last* ``target_length`` positions:
    query ``i`` may see keys ``j <= i + source_length - target_length``.
    """
    # BEGIN SOLUTION
    source_length = target_length if source_length is None else source_length
    offset = source_length - target_length
    return np.tri(target_length, source_length, k=offset, dtype=bool)
    # END SOLUTION


def _additive_mask(attn_mask, is_causal: bool, scores_shape: tuple[int, ...], dtype):
    """The mask as numbers to add to the scores: 0 where attention is allowed, -inf where not."""
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: give attn_mask or is_causal=True, not both")
    if is_causal:
        # PyTorch aligns is_causal to the top-left corner: query i sees keys j <= i.
        attn_mask = np.tri(*scores_shape[-2:], dtype=bool)
    if attn_mask is None:
        return None
    mask = _array(attn_mask)
    _check_mask_shape(mask.shape, scores_shape)
    if mask.dtype == np.bool_:
        return np.where(mask, np.asarray(0.0, dtype), np.asarray(-np.inf, dtype))
    if mask.dtype.kind != "f":
        raise TypeError(
            f"scaled_dot_product_attention: attn_mask must be boolean (True = takes part) "
            f"or floating point (added to the scores), got dtype {mask.dtype}"
        )
    return mask.astype(dtype, copy=False)


def _check_mask_shape(shape: tuple[int, ...], scores_shape: tuple[int, ...]) -> None:
    """Raise unless a mask of ``shape`` broadcasts to the scores ``(..., L, S)``."""
    try:
        fits = np.broadcast_shapes(shape, scores_shape) == scores_shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"scaled_dot_product_attention: attn_mask of shape {tuple(shape)} does not "
            f"broadcast to the attention scores {scores_shape} (..., L, S); expected a mask "
            f"of shape {scores_shape[-2:]} or one that broadcasts to {scores_shape}"
        )


def masked_softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax over the last axis of ``scores`` (any shape), stable, zero on fully masked rows.

    ``scores`` is float and may hold ``-inf`` (masked keys); it may be
    overwritten (the result can be computed in place and returned). Every
    row of the result sums to 1, except a row whose scores are all ``-inf``
    (every key masked out): its probabilities are defined as 0, so it
    contributes nothing (PyTorch returns NaN there). Huge finite scores
    (1000 and more) must not overflow: the tests run it under
    ``np.errstate(over="raise", invalid="raise")``. See the guide's hints.
    """
    # BEGIN SOLUTION
    row_max = scores.max(axis=-1, keepdims=True)
    row_max[~np.isfinite(row_max)] = 0
    scores -= row_max
    probs = np.exp(scores, out=scores)
    row_sum = probs.sum(axis=-1, keepdims=True)
    row_sum[row_sum == 0] = 1
    probs /= row_sum
    return probs
    # END SOLUTION


class ScaledDotProductAttentionFunction(Function):
    r"""out = A v with A = softmax(q k^T * scale + mask) * keep, the softmax over the keys.

    ``forward(ctx, query, key, value, additive_mask, keep, scale, return_weights)``:
    ``query`` ``(..., L, E)``, ``key`` ``(..., S, E)``, ``value`` ``(..., S, Ev)``
    (the leading axes broadcast), ``additive_mask`` None or an array that
    broadcasts to the scores ``(..., L, S)`` (0 where allowed, ``-inf`` where
    blocked), ``keep`` None or the dropout multiplier ``(..., L, S)`` (0 or
    1 / (1 - p)), ``scale`` a scalar array. The softmax is ``masked_softmax``:
    a fully masked row gives weights 0 and output 0, never NaN. Returns
    ``out`` ``(..., L, Ev)``, or ``(out, A)`` with ``return_weights=True``
    (so the weights ``MultiheadAttention`` returns are the ones the output was
    made of; A must be a copy the caller may keep).

    ``backward(ctx, grad_out, grad_attention=None)`` gets the gradient of
    ``out`` and, when the weights were returned and used, of ``A`` (both
    read-only: never write into them); it returns ``(grad_query, grad_key,
    grad_value, None, None, None)`` in the shapes of the inputs (summed over
    the axes an input was broadcast along). The guide's hints derive it.
    """

    @staticmethod
    def flops(inputs, params, outputs):
        """With B batch-heads, L queries, S keys: 2 B L S E (scores) + 2 B L S Ev (weighted sum)
        + 5 B L S (scale and softmax); backward twice the forward when q, k or v needs a gradient.
        """
        query, key, value = inputs[:3]
        batch_heads = math.prod(np.broadcast_shapes(query.shape[:-2], key.shape[:-2]))
        scores = batch_heads * query.shape[-2] * key.shape[-2]
        forward = 2 * scores * query.shape[-1] + 2 * scores * value.shape[-1] + 5 * scores
        wanted = any(requires_grad(x) for x in (query, key, value))
        return forward, 2 * forward * wanted

    @staticmethod
    def forward(ctx, query, key, value, additive_mask, keep, scale, return_weights=False):
        # BEGIN SOLUTION
        scores = query @ key.swapaxes(-1, -2)
        scores *= scale
        if additive_mask is not None:
            scores += additive_mask
        probs = masked_softmax(scores)
        attention = probs * keep if keep is not None else probs
        ctx.save_for_backward(query, key, value, probs, attention, keep)
        ctx.scale = scale
        output = attention @ value
        return (output, attention.copy()) if return_weights else output
        # END SOLUTION

    @staticmethod
    def backward(ctx, grad_out, grad_attention=None):
        # BEGIN SOLUTION
        query, key, value, probs, attention, keep = ctx.saved_tensors
        grad_value = unbroadcast(attention.swapaxes(-1, -2) @ grad_out, value.shape)
        grad_probs = grad_out @ value.swapaxes(-1, -2)
        if grad_attention is not None:
            grad_probs += grad_attention
        if keep is not None:
            grad_probs *= keep
        grad_scores = grad_probs
        grad_scores -= (grad_probs * probs).sum(axis=-1, keepdims=True)
        grad_scores *= probs
        grad_scores *= ctx.scale
        grad_query = unbroadcast(grad_scores @ key, query.shape)
        grad_key = unbroadcast(grad_scores.swapaxes(-1, -2) @ query, key.shape)
        return grad_query, grad_key, grad_value, None, None, None
        # END SOLUTION


def check_dropout_p(p: float, layer: str) -> None:
    """Raise a ValueError naming ``layer`` unless ``0 <= p <= 1`` (NaN is refused too).

    A bool is refused as well: ``MultiheadAttention(E, H, True)`` meant ``bias=True``
    before the arguments took PyTorch's order, and would now be a dropout of 1.
    """
    if isinstance(p, (bool, np.bool_)):
        raise TypeError(f"{layer}: the dropout probability must be a number, got {p!r}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{layer}: dropout probability has to be between 0 and 1, but got {p}")


def _dropout_keep(shape, dropout_p: float, dtype, generator) -> np.ndarray | None:
    """The inverted-dropout factors: 0 (dropped) or 1 / (1 - p); zeros everywhere at p = 1."""
    if dropout_p == 0.0:
        return None
    if dropout_p == 1.0:
        return np.zeros(shape, dtype)
    rng = generator if generator is not None else default_generator()
    keep = (rng.random(shape, dtype=np.float32) >= dropout_p).astype(dtype)
    keep *= np.asarray(1.0 / (1.0 - dropout_p), dtype)
    return keep


def attention_with_weights(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    generator: np.random.Generator | None = None,
    need_weights: bool = True,
):
    """``scaled_dot_product_attention`` that also returns its weights ``(..., L, S)``.

    The arguments are those of ``scaled_dot_product_attention``. Returns
    ``(output, weights)``: the weights are the (dropped-out) attention
    probabilities the output was computed from, with a gradient; ``None`` when
    ``need_weights`` is False.
    """
    check_dropout_p(dropout_p, "scaled_dot_product_attention")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(
            "scaled_dot_product_attention: expected query (..., L, E), key (..., S, E) and "
            f"value (..., S, Ev), got {tuple(query.shape)}, {tuple(key.shape)} "
            f"and {tuple(value.shape)}"
        )
    dtype = query.dtype
    target_length, source_length = query.shape[-2], key.shape[-2]
    batch_shape = np.broadcast_shapes(query.shape[:-2], key.shape[:-2])
    scores_shape = (*batch_shape, target_length, source_length)
    mask = _additive_mask(attn_mask, is_causal, scores_shape, dtype)
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    keep = _dropout_keep(scores_shape, dropout_p, dtype, generator)
    result = ScaledDotProductAttentionFunction.apply(
        query, key, value, mask, keep, np.asarray(scale, dtype), return_weights=need_weights
    )
    return result if need_weights else (result, None)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask=None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    *,
    generator: np.random.Generator | None = None,
) -> Tensor:
    r"""Attention(Q, K, V) = softmax(Q K^T / sqrt(E) + M) V, batched over all leading dims.

    As ``torch.nn.functional.scaled_dot_product_attention``: every leading dim
    (batch, heads) is a batch dim of one matmul, so there is no loop over
    heads or positions. The softmax subtracts each row's maximum; a row whose
    keys are all masked gives zeros (not NaN). The mask gets no gradient.

    Args:
        query: ``(..., L, E)``.
        key: ``(..., S, E)``.
        value: ``(..., S, Ev)``.
        attn_mask: broadcastable to ``(..., L, S)``: boolean, True where a
            query may attend to a key, or floating point, added to the scores
            (use ``-inf`` to block).
        dropout_p: probability of dropping an attention weight (applied
            whenever it is > 0, as in PyTorch: pass 0.0 in evaluation).
        is_causal: query ``i`` attends to keys ``j <= i`` only (top-left
            aligned, as PyTorch); not together with ``attn_mask``.
        scale: the factor on the scores; ``1 / sqrt(E)`` by default.
        generator: NumPy generator for the dropout mask (default: tinytorch's).

    Shape:
        output ``(..., L, Ev)``.

    Examples:
        >>> q = k = v = tinytorch.tensor.randn(2, 4, 8, 16)   # (N, heads, L, E)
        >>> scaled_dot_product_attention(q, k, v, is_causal=True).shape
        (2, 4, 8, 16)
    """
    output, _ = attention_with_weights(
        query, key, value, attn_mask, dropout_p, is_causal, scale, generator=generator,
        need_weights=False,
    )
    return output


# ---------------------------------------------------------------------------
# Positional encoding
# ---------------------------------------------------------------------------


def sinusoidal_positional_encoding(
    length: int, dim: int, base: float = 10000.0, dtype=np.float32
) -> np.ndarray:
    r"""The fixed encodings of "Attention Is All You Need" (Vaswani et al., 2017).

    PE[pos, 2i] = sin(pos / base^(2i / dim)),  PE[pos, 2i + 1] = cos(pos / base^(2i / dim)).

    Returns:
        an array of shape ``(length, dim)``.
    """
    # BEGIN SOLUTION
    positions = np.arange(length, dtype=np.float64)[:, None]
    frequencies = base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    angles = positions * frequencies
    encoding = np.zeros((length, dim), dtype=np.float64)
    encoding[:, 0::2] = np.sin(angles)
    encoding[:, 1::2] = np.cos(angles[:, : dim // 2])
    return encoding.astype(dtype)
    # END SOLUTION
