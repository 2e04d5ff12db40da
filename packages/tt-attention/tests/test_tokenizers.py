"""Tokenizers: round trips, unknown characters, training speed-critical structure, JSON files."""

import json
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tinytorch.attention.tokenizers import BPETokenizer, CharTokenizer, pretokenize
from tinytorch.tensor import Tensor

CORPUS = (
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\n"
    "All:\nSpeak, speak.\n\nFirst Citizen:\nYou are all resolved rather to die than to famish?\n\n"
) * 20


def test_char_tokenizer_vocabulary_is_sorted_distinct_characters():
    tok = CharTokenizer.from_text("hello")
    assert tok.chars == ["e", "h", "l", "o"]
    assert tok.vocab_size == 4
    assert tok.encode("hell") == [1, 0, 2, 2]
    assert tok.decode([3, 0]) == "oe"


def test_char_tokenizer_round_trip_on_corpus():
    tok = CharTokenizer.from_text(CORPUS)
    assert tok.decode(tok.encode(CORPUS)) == CORPUS
    assert tok.encode_array(CORPUS).dtype.kind == "i"


def test_char_tokenizer_gives_one_id_per_character_not_per_utf8_byte():
    text = "héllo wörld ✓"
    tok = CharTokenizer.from_text(text)
    ids = tok.encode(text)
    assert len(ids) == len(text) and ids == [tok.chars.index(c) for c in text]
    assert tok.decode(ids) == text


def test_char_tokenizer_unknown_character_without_unk_is_a_clear_error():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(KeyError, match=r"'z' at position 2 is not in the vocabulary of 3"):
        tok.encode("abz")


def test_char_tokenizer_maps_unknown_characters_to_unk_token():
    tok = CharTokenizer.from_text("abc", unk_token="?")
    assert tok.vocab_size == 4
    assert tok.decode(tok.encode("abzc")) == "ab?c"


def test_char_tokenizer_decode_rejects_out_of_range_ids():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(IndexError, match="id 7 is out of range for a vocabulary of 3"):
        tok.decode([0, 7])


def test_char_tokenizer_save_load(tmp_path):
    tok = CharTokenizer.from_text("héllo wörld\n", unk_token="?")
    tok.save(tmp_path / "tok.json")
    assert json.loads((tmp_path / "tok.json").read_text(encoding="utf-8"))["type"] == "char"
    loaded = CharTokenizer.load(tmp_path / "tok.json")
    assert loaded.chars == tok.chars and loaded.unk_token == "?"
    assert loaded.encode("wörld") == tok.encode("wörld")


@given(st.text())
def test_pretokenize_covers_every_character(text):
    assert "".join(pretokenize(text)) == text


@pytest.fixture(scope="module")
def trained_bpe():
    return BPETokenizer.train(CORPUS, vocab_size=400)


def test_bpe_learns_merges_that_shorten_the_text(trained_bpe):
    assert 256 < trained_bpe.vocab_size <= 400
    ids = trained_bpe.encode(CORPUS)
    assert len(ids) < len(CORPUS.encode("utf-8")) / 3
    assert trained_bpe.decode(ids) == CORPUS


def test_bpe_vocabulary_entries_are_concatenations_of_their_merge_parts(trained_bpe):
    for rank, (left, right) in enumerate(trained_bpe.merges):
        assert trained_bpe.vocab[256 + rank] == trained_bpe.vocab[left] + trained_bpe.vocab[right]


def test_bpe_merges_only_pairs_seen_min_frequency_times():
    text = "ab ab cd"   # pieces 'ab', ' ab', ' cd': (a, b) occurs twice, every other pair once
    assert BPETokenizer.train(text, vocab_size=300).merges == [(97, 98)]
    assert BPETokenizer.train(text, vocab_size=300, min_frequency=3).merges == []
    assert len(BPETokenizer.train(text, vocab_size=300, min_frequency=1).merges) > 1


def test_bpe_first_merge_is_the_most_frequent_pair():
    tok = BPETokenizer.train("aaab aaab aaab", vocab_size=257)
    assert tok.merges == [(ord("a"), ord("a"))]


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_bpe_round_trips_arbitrary_text(trained_bpe, text):
    assert trained_bpe.decode(trained_bpe.encode(text)) == text


def test_bpe_save_load_is_json_and_encodes_identically(trained_bpe, tmp_path):
    path = tmp_path / "bpe.json"
    trained_bpe.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "byte-bpe"
    loaded = BPETokenizer.load(path)
    sample = "Speak, speak! Before we proceed — naïve café 🎭"
    assert loaded.encode(sample) == trained_bpe.encode(sample)
    assert loaded.merges == trained_bpe.merges


def test_bpe_rejects_too_small_vocabulary():
    with pytest.raises(ValueError, match="at least 256"):
        BPETokenizer.train("abc", vocab_size=100)
    with pytest.raises(ValueError, match="at least 256"):
        BPETokenizer.train("abc", vocab_size=255)       # one short of the byte values
    assert BPETokenizer.train("abab", vocab_size=256).merges == []   # bytes only, no merge


def test_bpe_rejects_malformed_merges():
    with pytest.raises(ValueError, match="refers to token 999"):
        BPETokenizer([(1, 999)])


def test_bpe_trains_a_thousand_merges_on_a_megabyte():
    """The speed of this is measured in benchmarks/bench_tokenizers.py, not asserted here."""
    words = [f"w{i % 5000}x{i % 37}" for i in range(120_000)]
    text = " ".join(words)[:1_000_000]
    tok = BPETokenizer.train(text, vocab_size=1256)
    assert tok.vocab_size == 1256
    sample = text[:5000]
    assert tok.decode(tok.encode(sample)) == sample
    assert len(tok.encode(sample)) < 0.7 * len(sample.encode("utf-8"))  # the merges compress


@pytest.mark.parametrize(
    "ids", [[1.7], [1.0, 2.0], np.array([0.0]), [True, False], np.array([1, 0], dtype=bool)]
)
def test_decode_refuses_float_and_bool_ids(ids, trained_bpe):
    # Regression: CharTokenizer.decode([1.7]) returned text (1.7 was truncated to 1).
    char = CharTokenizer.from_text("hello")
    with pytest.raises(TypeError, match=r"CharTokenizer: ids must be integers, got dtype"):
        char.decode(ids)
    with pytest.raises(TypeError, match=r"BPETokenizer: ids must be integers, got dtype"):
        trained_bpe.decode(ids)


def test_decode_takes_integer_arrays_tensors_and_empty_lists(trained_bpe):
    char = CharTokenizer.from_text("hello")
    ids = char.encode("hello")
    assert char.decode(np.array(ids, dtype=np.int32)) == "hello"
    assert char.decode(Tensor(np.array(ids))) == "hello"
    assert char.decode([]) == "" and trained_bpe.decode([]) == ""
    with pytest.raises(IndexError, match=r"BPETokenizer: id -1 is out of range"):
        trained_bpe.decode([104, -1])


@pytest.mark.parametrize("merge", [[104.0, 105], [104, 105.5], [True, 105], [104], "ab"])
def test_bpe_file_with_a_non_integer_merge_names_the_file_and_the_entry(merge, tmp_path):
    # Regression: merges given as floats loaded as integers.
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps({"type": "byte-bpe", "merges": [[104, 105], merge]}))
    with pytest.raises(ValueError, match=rf"merge 1 in {re.escape(str(path))} is"):
        BPETokenizer.load(path)
    with pytest.raises(ValueError, match="merge 0 in the merges given"):
        BPETokenizer([merge])


def test_bpe_damaged_file_names_the_file(tmp_path):
    path = tmp_path / "tokenizer.json"
    path.write_text('{"type": "byte-bpe", "merges": [[104, 1')
    with pytest.raises(ValueError, match=rf"BPETokenizer: {re.escape(str(path))} is not a "):
        BPETokenizer.load(path)


def test_bpe_encoding_applies_merges_in_the_order_they_were_learned():
    a, b, c = ord("a"), ord("b"), ord("c")
    ab_first = BPETokenizer([(a, b), (b, c)])
    assert ab_first.encode("abc") == [256, c]
    bc_first = BPETokenizer([(b, c), (a, b)])
    assert bc_first.encode("abc") == [a, 256]              # not the leftmost pair first
    chained = BPETokenizer([(a, a), (256, 256)])
    assert chained.encode("aaaa") == [257]
    assert chained.encode("aaaaa") == [257, a]             # merges go left to right
    assert chained.encode("aaa") == [256, a]
    assert chained.decode([257, a]) == "aaaaa"
