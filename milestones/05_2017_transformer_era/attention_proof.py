"""Milestone 05 (2017), part 1: attention can route information anywhere, positions tell it where.

A small transformer encoder (no causal mask) reads a sequence of digits and
must output, at every position, the digit that belongs there:

- copy:    out[i] = in[i]            (each position keeps its own token)
- reverse: out[i] = in[L - 1 - i]    (each position fetches a token from elsewhere)

Both reach 100% exact-sequence accuracy on held-out sequences. Then the same
model without positional encodings tries to reverse and fails: attention is a
weighted average over a *set*, so without positions every output depends only
on its own token and the multiset of the others, never on where they sit.

Run:  python milestones/05_2017_transformer_era/attention_proof.py [--quick]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import Milestone  # noqa: E402
from tinytorch.attention import (  # noqa: E402
    Embedding,
    LayerNorm,
    LearnedPositionalEmbedding,
    TransformerBlock,
)
from tinytorch.autograd import no_grad  # noqa: E402
from tinytorch.nn import Linear, Module, ModuleList  # noqa: E402
from tinytorch.nn.functional import cross_entropy  # noqa: E402
from tinytorch.optim import AdamW  # noqa: E402

VOCAB = 10
LENGTH = 8


class SequenceTransformer(Module):
    """tokens -> embedding (+ positions) -> encoder blocks -> LayerNorm -> per-position logits."""

    def __init__(
        self, embed_dim: int, num_heads: int, num_layers: int, use_positions: bool, seed: int
    ):
        super().__init__()
        rng = np.random.default_rng(seed)
        self.tok_emb = Embedding(VOCAB, embed_dim, generator=rng)
        self.pos_emb = (
            LearnedPositionalEmbedding(LENGTH, embed_dim, generator=rng) if use_positions else None
        )
        self.blocks = ModuleList(
            [TransformerBlock(embed_dim, num_heads) for _ in range(num_layers)]
        )
        self.ln_f = LayerNorm(embed_dim)
        self.head = Linear(embed_dim, VOCAB)

    def forward(self, tokens: np.ndarray):
        x = self.tok_emb(tokens)
        if self.pos_emb is not None:
            x = x + self.pos_emb(np.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)  # no mask: every position sees the whole sequence
        return self.head(self.ln_f(x))


def make_task(task: str, tokens: np.ndarray) -> np.ndarray:
    return tokens.copy() if task == "copy" else tokens[:, ::-1].copy()


def exact_accuracy(model: Module, task: str, tokens: np.ndarray) -> float:
    """Fraction of sequences whose every output token is right."""
    model.eval()
    with no_grad():
        predicted = model(tokens).data.argmax(axis=-1)
    model.train()
    return float((predicted == make_task(task, tokens)).all(axis=1).mean())


def fraction_with_gradient(model: Module) -> float:
    params = list(model.parameters())
    return sum(p.grad is not None and bool(np.any(p.grad.data != 0)) for p in params) / len(params)


def train(ms: Milestone, task: str, use_positions: bool, steps: int, held_out: np.ndarray):
    """Train on fresh random sequences; returns (held-out exact accuracy, grad fraction)."""
    rng = np.random.default_rng(ms.args.seed + (0 if use_positions else 1000))
    model = SequenceTransformer(
        embed_dim=64, num_heads=4, num_layers=2, use_positions=use_positions, seed=ms.args.seed
    )
    optimizer = AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    label = f"{task}{'' if use_positions else ' (no positions)'}"
    grad_fraction = None
    for step in ms.progress(range(steps), desc=label):
        tokens = rng.integers(0, VOCAB, size=(64, LENGTH))
        optimizer.zero_grad()
        logits = model(tokens)
        loss = cross_entropy(logits.reshape(-1, VOCAB), make_task(task, tokens).reshape(-1))
        loss.backward()
        if grad_fraction is None:
            grad_fraction = fraction_with_gradient(model)
        optimizer.step()
        if step % 50 == 0:
            ms.log(f"{label} loss", step, loss.item())
    return exact_accuracy(model, task, held_out), grad_fraction


def main() -> int:
    ms = Milestone.from_script(__file__, description="Copy and reverse with attention")
    steps = ms.epochs(full=1200, quick=600)
    held_out = np.random.default_rng(10_000 + ms.args.seed).integers(0, VOCAB, size=(2000, LENGTH))
    start = time.perf_counter()

    copy_accuracy, copy_grads = train(ms, "copy", True, steps, held_out)
    reverse_accuracy, reverse_grads = train(ms, "reverse", True, steps, held_out)
    blind_accuracy, _ = train(ms, "reverse", False, steps, held_out)

    print(
        f"copy: {copy_accuracy:.1%}  reverse: {reverse_accuracy:.1%}  "
        f"reverse without positions: {blind_accuracy:.1%} of held-out sequences exactly right"
    )
    ms.record("copy_exact_accuracy", copy_accuracy)
    ms.record("reverse_exact_accuracy", reverse_accuracy)
    ms.record("no_position_reverse_exact_accuracy", blind_accuracy)
    ms.record("parameters_with_gradient", min(copy_grads, reverse_grads))
    ms.facts(train_seconds=time.perf_counter() - start, samples=3 * steps * 64)
    return ms.finish()


if __name__ == "__main__":
    sys.exit(main())
