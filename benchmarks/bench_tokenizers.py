"""Training a byte-level BPE vocabulary: 1,000 merges on 1 MB of text (issue 6).

Counting pair frequencies once over the unique words and updating them
incrementally after each merge keeps this to about a second; re-scanning the
corpus for every merge would take minutes.
"""

from __future__ import annotations

from harness import Case
from tinytorch.attention import BPETokenizer


def _megabyte_of_words() -> str:
    words = [f"w{i % 5000}x{i % 37}" for i in range(120_000)]
    return " ".join(words)[:1_000_000]


def cases() -> list[Case]:
    text = _megabyte_of_words()
    return [
        Case(
            "BPE train 1,000 merges on 1 MB of text",
            {"tinytorch": lambda: BPETokenizer.train(text, vocab_size=1256)},
            note="single implementation: the time per training run is the number to read",
        )
    ]
