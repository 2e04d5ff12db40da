"""Tokenizers: text in, integer ids out, and back.

Two tokenizers, from the simplest that works to the one GPT-2 uses:

- ``CharTokenizer`` gives every distinct character of a text its own id.
- ``BPETokenizer`` starts from the 256 byte values of UTF-8 and learns
  *merges*: it repeatedly joins the most frequent adjacent pair of tokens into
  a new token, so frequent words become single tokens while any text at all
  still encodes (worst case, byte by byte).

Both save to and load from JSON (never pickle: loading a pickle runs code
chosen by whoever wrote the file).
"""

from __future__ import annotations

import heapq
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from tinytorch.tensor import Tensor
from tinytorch.tensor.io import atomic_write_text

__all__ = ["CharTokenizer", "BPETokenizer", "pretokenize"]


# ---------------------------------------------------------------------------
# Character-level tokenizer
# ---------------------------------------------------------------------------


def token_ids(ids, vocab_size: int, tokenizer: str) -> np.ndarray:
    """``ids`` as a flat int64 array, or a clear error: integers in ``[0, vocab_size)`` only.

    A float id (``1.7``, or even ``2.0``) or a bool is a bug upstream (logits
    instead of sampled ids, a mask instead of tokens), so it is refused rather
    than truncated.
    """
    ids = ids.data if isinstance(ids, Tensor) else ids
    try:
        array = np.asarray(ids)
    except ValueError:
        raise TypeError(f"{tokenizer}: ids must be a flat sequence of integers") from None
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(
            f"{tokenizer}: ids must be integers, got dtype {array.dtype} "
            f"(first value {array.reshape(-1)[0]!r})"
        )
    array = array.reshape(-1)
    bad = (array < 0) | (array >= vocab_size)
    if bad.any():
        raise IndexError(
            f"{tokenizer}: id {int(array[bad][0])} is out of range for a vocabulary of "
            f"{vocab_size} tokens (expected 0 <= id < {vocab_size})"
        )
    return array.astype(np.int64, copy=False)


def _checked_merges(merges, source: str) -> list[Pair]:
    """The merges of a tokenizer file: a list of ``[left, right]`` integer pairs, else an error."""
    if not isinstance(merges, (list, tuple)):
        raise ValueError(f"BPETokenizer: {source} has no list of 'merges', got {merges!r}")
    for index, merge in enumerate(merges):
        is_pair = isinstance(merge, (list, tuple)) and len(merge) == 2
        if not is_pair or not all(_is_integer(part) for part in merge):
            raise ValueError(
                f"BPETokenizer: merge {index} in {source} is {merge!r}; expected a pair of "
                f"integer token ids such as [101, 32]"
            )
    return [(int(left), int(right)) for left, right in merges]


def _is_integer(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


class CharTokenizer:
    r"""Maps each character to an id: ``id = chars.index(c)``.

    The vocabulary is the sorted set of characters seen when the tokenizer was
    built, so the same text always gives the same ids.

    Args:
        chars: the vocabulary, one string per character (duplicates are an error).
        unk_token: optional character used for characters outside the vocabulary.
            It is added to the vocabulary if missing. Without it, encoding an
            unknown character raises ``KeyError`` naming the character and where
            it was found.

    Examples:
        >>> tok = CharTokenizer.from_text("hello")
        >>> tok.encode("hell")
        [1, 0, 2, 2]
        >>> tok.decode([3, 0])
        'oe'
    """

    def __init__(self, chars, unk_token: str | None = None):
        chars = list(chars)
        if unk_token is not None:
            if len(unk_token) != 1:
                raise ValueError(f"unk_token must be one character, got {unk_token!r}")
            if unk_token not in chars:
                chars.append(unk_token)
        if any(len(c) != 1 for c in chars):
            raise ValueError("CharTokenizer: every vocabulary entry must be one character")
        if len(set(chars)) != len(chars):
            raise ValueError("CharTokenizer: the vocabulary has duplicate characters")
        self.chars = chars
        self.unk_token = unk_token
        self.stoi = {c: i for i, c in enumerate(chars)}
        self._codepoints = np.array([ord(c) for c in chars], dtype=np.uint32)
        self._order = np.argsort(self._codepoints)
        self._sorted_codepoints = self._codepoints[self._order]

    @classmethod
    def from_text(cls, text: str, unk_token: str | None = None) -> CharTokenizer:
        """Build the vocabulary from the distinct characters of ``text``, sorted."""
        # BEGIN SOLUTION
        return cls(sorted(set(text)), unk_token=unk_token)
        # END SOLUTION

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def __len__(self) -> int:
        return self.vocab_size

    def encode_array(self, text: str) -> np.ndarray:
        """Encode ``text`` as an int64 array (vectorized: fast on megabytes of text).

        One id per character (per Unicode code point, not per UTF-8 byte: ``"é"`` is one
        id). A character outside the vocabulary maps to ``unk_token``'s id when there is
        one; otherwise it is a ``KeyError`` whose message names the character, its
        position and the vocabulary's size: ``"'z' at position 2 is not in the vocabulary
        of 3 characters"``.
        """
        # Hint: look every code point up in the sorted code points with np.searchsorted.
        # BEGIN SOLUTION
        codepoints = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        slots = np.searchsorted(self._sorted_codepoints, codepoints)
        slots = np.minimum(slots, len(self.chars) - 1)
        known = self._sorted_codepoints[slots] == codepoints
        ids = self._order[slots].astype(np.int64)
        if not known.all():
            if self.unk_token is None:
                position = int(np.argmin(known))
                raise KeyError(
                    f"CharTokenizer: character {text[position]!r} at position {position} "
                    f"is not in the vocabulary of {self.vocab_size} characters; "
                    "build the tokenizer with unk_token='?' (for example) to map unknown "
                    "characters to it"
                )
            ids[~known] = self.stoi[self.unk_token]
        return ids
        # END SOLUTION

    def encode(self, text: str) -> list[int]:
        """Encode ``text`` as a list of ids, one per character."""
        return self.encode_array(text).tolist()

    def decode(self, ids) -> str:
        """Join the characters of ``ids`` back into a string.

        ``ids`` must be integers (a list, an array or a Tensor) in
        ``[0, vocab_size)``; floats and bools raise TypeError, others IndexError.
        """
        ids = token_ids(ids, self.vocab_size, "CharTokenizer")
        # BEGIN SOLUTION
        return "".join(self.chars[i] for i in ids.tolist())
        # END SOLUTION

    def to_dict(self) -> dict:
        return {"type": "char", "chars": "".join(self.chars), "unk_token": self.unk_token}

    @classmethod
    def from_dict(cls, data: dict) -> CharTokenizer:
        if data.get("type") != "char":
            raise ValueError(
                f"expected a 'char' tokenizer description, got type {data.get('type')!r}"
            )
        return cls(list(data["chars"]), unk_token=data.get("unk_token"))

    def save(self, path) -> None:
        """Write the tokenizer to a JSON file (atomically: a crash keeps the old file)."""
        atomic_write_text(path, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path) -> CharTokenizer:
        """Read a tokenizer written by ``save``."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size}, unk_token={self.unk_token!r})"


# ---------------------------------------------------------------------------
# Byte-level BPE
# ---------------------------------------------------------------------------

# Words are runs of letters, of digits or of other symbols, each with at most
# one leading space; runs of whitespace stay on their own. Every character is
# matched by exactly one branch, so joining the pieces gives the text back.
PRETOKENIZE_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""
_PRETOKENIZE_RE = re.compile(PRETOKENIZE_PATTERN)

Pair = tuple[int, int]


def pretokenize(text: str) -> list[str]:
    """Split ``text`` into the pieces BPE merges within (never across).

    ``"".join(pretokenize(text)) == text`` for every string.

    Examples:
        >>> pretokenize("Hello, world!  It's 2017.")
        ['Hello', ',', ' world', '!', ' ', ' It', "'s", ' 2017', '.']
    """
    return _PRETOKENIZE_RE.findall(text)


def _pairs_of(word: list[int]) -> list[Pair]:
    return list(zip(word, word[1:], strict=False))


def _merge_pair(word: list[int], pair: Pair, new_id: int) -> list[int]:
    """Replace every occurrence of ``pair`` in ``word`` (left to right) by ``new_id``."""
    merged = []
    i = 0
    while i < len(word):
        if i + 1 < len(word) and word[i] == pair[0] and word[i + 1] == pair[1]:
            merged.append(new_id)
            i += 2
        else:
            merged.append(word[i])
            i += 1
    return merged


class _PairStatistics:
    """Pair counts over unique words, kept up to date as merges are applied.

    ``counts[pair]`` is the number of times ``pair`` occurs in the corpus,
    ``where[pair]`` the set of word indices that may contain it, and ``heap``
    a max-heap (by count, then smallest pair) with lazily discarded stale
    entries, so finding the next merge never rescans all pairs.
    """

    def __init__(self, words: list[list[int]], frequencies: list[int]):
        self.words = words
        self.frequencies = frequencies
        self.counts: dict[Pair, int] = defaultdict(int)
        self.where: dict[Pair, set[int]] = defaultdict(set)
        for index, word in enumerate(words):
            self._add_word(index, word)
        self.heap = [(-count, pair) for pair, count in self.counts.items()]
        heapq.heapify(self.heap)

    def _add_word(self, index: int, word: list[int], sign: int = 1) -> set[Pair]:
        frequency = self.frequencies[index] * sign
        touched = set()
        for pair in _pairs_of(word):
            self.counts[pair] += frequency
            touched.add(pair)
            if sign > 0:
                self.where[pair].add(index)
        return touched

    def most_frequent(self) -> tuple[Pair, int] | None:
        """The pair with the highest count (ties: the smallest pair), or None."""
        while self.heap:
            negative_count, pair = self.heap[0]
            if self.counts.get(pair, 0) == -negative_count and negative_count < 0:
                return pair, -negative_count
            heapq.heappop(self.heap)
        return None

    def apply_merge(self, pair: Pair, new_id: int) -> None:
        """Merge ``pair`` in every word that contains it and update the counts."""
        touched: set[Pair] = set()
        for index in self.where.pop(pair, set()):
            word = self.words[index]
            merged = _merge_pair(word, pair, new_id)
            if len(merged) == len(word):
                continue
            touched |= self._add_word(index, word, sign=-1)
            touched |= self._add_word(index, merged, sign=+1)
            self.words[index] = merged
        for changed in touched:
            count = self.counts.get(changed, 0)
            if count > 0:
                heapq.heappush(self.heap, (-count, changed))
            else:
                self.counts.pop(changed, None)


class BPETokenizer:
    r"""Byte-level byte-pair encoding (as in GPT-2).

    Token ids ``0..255`` are the byte values; id ``256 + r`` is the ``r``-th
    learned merge, the concatenation of the bytes of its two parts. Text is
    first split by ``pretokenize`` (merges never cross those pieces), each
    piece is UTF-8 encoded and then the merges are applied in the order they
    were learned. Any string round-trips: ``decode(encode(s)) == s``.

    Args:
        merges: the learned merges, in order, as pairs of token ids.

    Examples:
        >>> tok = BPETokenizer.train("low lower lowest " * 100, vocab_size=260)
        >>> tok.decode(tok.encode("lowest"))
        'lowest'
    """

    def __init__(self, merges=()):
        self.merges: list[Pair] = []
        self.vocab: list[bytes] = [bytes([b]) for b in range(256)]
        self.ranks: dict[Pair, int] = {}
        for pair in _checked_merges(list(merges), "the merges given"):
            self._add_merge(pair)
        self._cache: dict[str, list[int]] = {}

    def _add_merge(self, pair: Pair) -> int:
        for part in pair:
            if not 0 <= part < len(self.vocab):
                raise ValueError(
                    f"BPETokenizer: merge {pair} refers to token {part}, but only "
                    f"{len(self.vocab)} tokens exist at that point"
                )
        new_id = len(self.vocab)
        self.ranks[pair] = len(self.merges)
        self.merges.append(pair)
        self.vocab.append(self.vocab[pair[0]] + self.vocab[pair[1]])
        return new_id

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __len__(self) -> int:
        return self.vocab_size

    @classmethod
    def train(cls, text: str, vocab_size: int, min_frequency: int = 2) -> BPETokenizer:
        """Learn ``vocab_size - 256`` merges from ``text``.

        Pair counts are taken over the *unique* pieces of the text weighted by
        how often each occurs, and updated incrementally after every merge
        (only the pieces containing the merged pair change), so training cost
        grows with the number of distinct words, not the corpus length.

        Args:
            text: the training corpus.
            vocab_size: the vocabulary size to reach (at least 256). Training
                stops early when no pair occurs ``min_frequency`` times.
            min_frequency: the smallest count a pair needs to be merged.
        """
        # BEGIN SOLUTION
        if vocab_size < 256:
            raise ValueError(
                f"BPETokenizer: vocab_size must be at least 256 (the byte values), got {vocab_size}"
            )
        piece_counts = Counter(pretokenize(text))
        words = [list(piece.encode("utf-8")) for piece in piece_counts]
        stats = _PairStatistics(words, list(piece_counts.values()))
        tokenizer = cls()
        while tokenizer.vocab_size < vocab_size:
            best = stats.most_frequent()
            if best is None or best[1] < min_frequency:
                break
            new_id = tokenizer._add_merge(best[0])
            stats.apply_merge(best[0], new_id)
        return tokenizer
        # END SOLUTION

    def _encode_piece(self, piece: str) -> list[int]:
        """Apply the merges to one pre-tokenized piece, lowest rank first."""
        # BEGIN SOLUTION
        word = list(piece.encode("utf-8"))
        while len(word) > 1:
            ranked = [(self.ranks.get(pair, len(self.ranks)), pair) for pair in _pairs_of(word)]
            rank, pair = min(ranked)
            if rank == len(self.ranks):
                break
            word = _merge_pair(word, pair, 256 + rank)
        return word
        # END SOLUTION

    def encode(self, text: str) -> list[int]:
        """Encode ``text`` as token ids."""
        ids: list[int] = []
        for piece in pretokenize(text):
            cached = self._cache.get(piece)
            if cached is None:
                cached = self._encode_piece(piece)
                if len(self._cache) < 100_000:
                    self._cache[piece] = cached
            ids.extend(cached)
        return ids

    def decode(self, ids, errors: str = "replace") -> str:
        """Concatenate the bytes of ``ids`` and decode them as UTF-8.

        ``ids`` must be integers in ``[0, vocab_size)`` (floats and bools raise
        TypeError, others IndexError). A sequence that cuts a multi-byte
        character in half (for example a sampled one) decodes with U+FFFD in
        its place (``errors="replace"``).
        """
        ids = token_ids(ids, self.vocab_size, "BPETokenizer")
        return b"".join(self.vocab[token] for token in ids.tolist()).decode("utf-8", errors=errors)

    def to_dict(self) -> dict:
        return {
            "type": "byte-bpe",
            "pretokenize_pattern": PRETOKENIZE_PATTERN,
            "merges": [list(pair) for pair in self.merges],
        }

    @classmethod
    def from_dict(cls, data: dict, source: str = "the tokenizer description") -> BPETokenizer:
        """The tokenizer ``data`` describes; errors name ``source`` (the file, for ``load``)."""
        if not isinstance(data, dict) or data.get("type") != "byte-bpe":
            kind = data.get("type") if isinstance(data, dict) else type(data).__name__
            raise ValueError(
                f"BPETokenizer: expected a 'byte-bpe' tokenizer description in {source}, "
                f"got {kind!r}"
            )
        if data.get("pretokenize_pattern", PRETOKENIZE_PATTERN) != PRETOKENIZE_PATTERN:
            raise ValueError(
                f"BPETokenizer: {source} was trained with a different pre-tokenization pattern"
            )
        return cls(_checked_merges(data.get("merges"), source))

    def save(self, path) -> None:
        """Write the merges to a JSON file (atomically: a crash keeps the old file)."""
        atomic_write_text(path, json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path) -> BPETokenizer:
        """Read a tokenizer written by ``save``; a damaged file is a ValueError naming it."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            message = f"BPETokenizer: {path} is not a tokenizer JSON file: {error}"
            raise ValueError(message) from None
        return cls.from_dict(data, source=str(path))

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)})"
