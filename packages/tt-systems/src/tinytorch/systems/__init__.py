"""tinytorch.systems: measure, shrink and speed up real models.

Every number this package reports is measured on the model in hand.

- ``profiler``: ``profile()`` (ops, counts, time, FLOPs) and ``profile_model``
  (per layer: parameters, forward/backward FLOPs, activation memory, latency).
- ``quantization``: int8 post-training quantization (``quantize_model``,
  ``QuantizedLinear``, ``QuantizedConv2d``) and fake-quant with the STE.
- ``pruning``: magnitude masks (global or per layer) kept through training,
  structured pruning that builds smaller layers, sparsity reports.
- ``distillation``: ``distillation_loss`` and ``distill``.
- ``kv_cache``: ``generate_cached`` for tt-attention's GPT.
- ``acceleration``: loops versus vectorized kernels, fused versus unfused.
- ``benchmark``: the interleaved benchmark harness; ``leaderboard``: the class ranking.
"""

from . import (
    acceleration,
    benchmark,
    distillation,
    flops,
    kv_cache,
    profiler,
    pruning,
    quantization,
)
from .__about__ import __version__
from .distillation import distill, distillation_loss
from .kv_cache import KVCache, generate_cached
from .profiler import ModelProfile, OpProfile, parameter_bytes, profile, profile_model
from .pruning import PruningMasks, prune_structured, sparse_bytes, sparsity_report
from .quantization import (
    FakeQuantize,
    QParams,
    QuantizedConv2d,
    QuantizedLinear,
    dequantize,
    fake_quantize,
    quantize,
    quantize_model,
)

__all__ = [
    "FakeQuantize",
    "KVCache",
    "ModelProfile",
    "OpProfile",
    "PruningMasks",
    "QParams",
    "QuantizedConv2d",
    "QuantizedLinear",
    "__version__",
    "acceleration",
    "benchmark",
    "dequantize",
    "distill",
    "distillation",
    "distillation_loss",
    "fake_quantize",
    "flops",
    "generate_cached",
    "kv_cache",
    "parameter_bytes",
    "profile",
    "profile_model",
    "profiler",
    "prune_structured",
    "pruning",
    "quantization",
    "quantize",
    "quantize_model",
    "sparse_bytes",
    "sparsity_report",
]
