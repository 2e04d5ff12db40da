"""Character-level GPT: a training step and generation speed, built from tt-attention (issue 6).

Training step (PERFORMANCE.md's reference workload): vocab 65, d 128, 4 heads,
2 layers, context 64, batch 32 (0.42M parameters); one step is zero_grad,
forward, cross-entropy, backward and an SGD update. tinytorch's ``GPT`` is
timed against the same pre-norm architecture written with ``torch.nn`` when
PyTorch is installed. Target: at most 1.15x PyTorch at one thread.

Generation: ``GPT.generate`` of 32 new tokens after a 32-token prompt (batch 1):
``tinytorch`` and ``torch`` re-read the cropped window at each step (no KV
cache); ``tinytorch KV cache`` is ``generate(..., use_cache=True)``, which feeds
the prompt once and then one token per step (the same tokens). Tokens/second
is 32 / (median seconds).
"""

from __future__ import annotations

import numpy as np
from harness import Case
from tinytorch.attention import GPT
from tinytorch.nn.functional import cross_entropy

VOCAB, CONTEXT, EMBED, HEADS, LAYERS, BATCH = 65, 64, 128, 4, 2, 32
LR = 0.01
NEW_TOKENS = 32


def _batch():
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, (BATCH, CONTEXT))
    y = rng.integers(0, VOCAB, (BATCH, CONTEXT))
    return x, y


def _tinytorch_model() -> GPT:
    return GPT(VOCAB, CONTEXT, EMBED, HEADS, LAYERS, seed=0)


def tinytorch_train_step():
    x, y = _batch()
    targets = y.reshape(-1)
    model = _tinytorch_model()
    params = list(model.parameters())

    def step():
        model.zero_grad()
        logits = model(x)
        loss = cross_entropy(logits.reshape(-1, VOCAB), targets)
        loss.backward()
        for p in params:
            p.data -= LR * p.grad.data

    return step


def tinytorch_generate(use_cache: bool = False):
    model = _tinytorch_model()
    prompt = np.random.default_rng(1).integers(0, VOCAB, (1, 32))

    def step():
        model.generate(prompt, max_new_tokens=NEW_TOKENS, top_k=10, generator=0,
                       use_cache=use_cache)

    return step


def _torch_gpt():
    """The same pre-norm GPT in torch.nn (fused scaled_dot_product_attention)."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(EMBED), nn.LayerNorm(EMBED)
            self.qkv, self.proj = nn.Linear(EMBED, 3 * EMBED), nn.Linear(EMBED, EMBED)
            self.mlp = nn.Sequential(
                nn.Linear(EMBED, 4 * EMBED),
                nn.GELU(approximate="tanh"),
                nn.Linear(4 * EMBED, EMBED),
            )

        def forward(self, x):
            n, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).view(n, t, 3, HEADS, c // HEADS).permute(2, 0, 3, 1, 4)
            heads = nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + self.proj(heads.transpose(1, 2).reshape(n, t, c))
            return x + self.mlp(self.ln2(x))

    class TorchGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_emb, self.pos_emb = nn.Embedding(VOCAB, EMBED), nn.Embedding(CONTEXT, EMBED)
            self.blocks = nn.Sequential(*[Block() for _ in range(LAYERS)])
            self.ln_f, self.head = nn.LayerNorm(EMBED), nn.Linear(EMBED, VOCAB, bias=False)

        def forward(self, idx):
            positions = torch.arange(idx.shape[1])
            return self.head(self.ln_f(self.blocks(self.tok_emb(idx) + self.pos_emb(positions))))

    torch.manual_seed(0)
    return TorchGPT()


def torch_train_step():
    import torch

    torch.set_num_threads(1)
    x, y = (torch.from_numpy(a) for a in _batch())
    model = _torch_gpt()
    params = list(model.parameters())

    def step():
        model.zero_grad()
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad

    return step


def torch_generate():
    import torch

    torch.set_num_threads(1)
    model = _torch_gpt().eval()
    prompt = torch.from_numpy(np.random.default_rng(1).integers(0, VOCAB, (1, 32)))
    generator = torch.Generator().manual_seed(0)

    def step():
        idx = prompt
        with torch.no_grad():
            for _ in range(NEW_TOKENS):
                logits = model(idx[:, -CONTEXT:])[:, -1, :]
                top = torch.topk(logits, 10)
                logits = torch.full_like(logits, float("-inf")).scatter(1, top.indices, top.values)
                token = torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)
                idx = torch.cat([idx, token], dim=1)

    return step


def cases() -> list[Case]:
    train = {"tinytorch": tinytorch_train_step()}
    generate = {"tinytorch": tinytorch_generate(),
                "tinytorch KV cache": tinytorch_generate(use_cache=True)}
    try:
        train["torch"] = torch_train_step()
        generate["torch"] = torch_generate()
    except ImportError:
        pass
    baseline = "torch" if "torch" in train else "tinytorch"
    return [
        Case(
            f"GPT train step: vocab {VOCAB}, d {EMBED}, {HEADS} heads, {LAYERS} layers, "
            f"context {CONTEXT}, batch {BATCH}",
            train,
            baseline=baseline,
            note="tt-attention GPT, tt-nn cross_entropy, SGD; target: <= 1.15x PyTorch, 1 thread",
        ),
        Case(
            f"GPT generate {NEW_TOKENS} tokens after a 32-token prompt, batch 1",
            generate,
            baseline=baseline,
            note=f"tokens/second = {NEW_TOKENS} / median seconds; only 'tinytorch KV cache' "
            "keeps keys and values between steps",
        ),
    ]
