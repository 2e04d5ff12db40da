"""Errors raised by the dataset loaders."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class DatasetNotFoundError(FileNotFoundError):
    """A dataset is not installed or not where it was looked for.

    The message names the dataset, every place that was searched and how to
    get the data. Loaders raise it instead of ever substituting random data.
    """

    def __init__(self, dataset: str, looked_in: Iterable, how_to_get: str):
        self.dataset = dataset
        self.looked_in = [str(place) for place in looked_in]
        self.how_to_get = how_to_get
        places = (
            "\n".join(f"  - {place}" for place in self.looked_in)
            or "  (nowhere: no location given)"
        )
        super().__init__(f"{dataset} not found. Looked in:\n{places}\nTo get it: {how_to_get}")


class DatasetFormatError(ValueError):
    """A dataset file exists but is not in the expected format."""


def first_existing(candidates: Iterable[Path]) -> Path | None:
    """The first of `candidates` that is an existing file, or None."""
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None
