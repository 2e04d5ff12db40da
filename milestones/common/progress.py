"""Live progress for training loops: tqdm when installed, plain printed lines otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator


class PlainProgress:
    """A minimal stand-in for ``tqdm``: prints a line every ``every`` seconds and at the end.

    Supports the parts of tqdm the milestones use: iteration and ``set_postfix``.
    """

    def __init__(self, iterable: Iterable, desc: str = "", total: int | None = None,
                 every: float = 2.0, stream=None):
        self.iterable = iterable
        self.desc = desc
        self.total = total if total is not None else _length(iterable)
        self.every = every
        self.stream = stream or sys.stdout
        self.postfix: dict[str, object] = {}
        self.count = 0

    def set_postfix(self, ordered_dict=None, refresh: bool = True, **values) -> None:
        """Show these values (e.g. loss=0.31) on the next printed line."""
        self.postfix = {**(ordered_dict or {}), **values}

    def _line(self, elapsed: float) -> str:
        """One status line: ``desc: 30/100 (30%) 1.2s loss=0.31``."""
        done = f"{self.count}/{self.total} ({100 * self.count / self.total:.0f}%)" if self.total \
            else f"{self.count}"
        extra = " ".join(f"{k}={_short(v)}" for k, v in self.postfix.items())
        return f"{self.desc}: {done} {elapsed:.1f}s {extra}".rstrip()

    def __iter__(self) -> Iterator:
        start = last = time.perf_counter()
        for item in self.iterable:
            yield item
            self.count += 1
            now = time.perf_counter()
            if now - last >= self.every:
                print(self._line(now - start), file=self.stream, flush=True)
                last = now
        print(self._line(time.perf_counter() - start), file=self.stream, flush=True)


def _length(iterable) -> int | None:
    """len(iterable) when it has one, else None."""
    try:
        return len(iterable)
    except TypeError:
        return None


def _short(value) -> str:
    """Format a postfix value compactly (4 significant digits for floats)."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def progress(iterable: Iterable, desc: str = "", total: int | None = None):
    """Wrap ``iterable`` in a live progress bar: tqdm if importable, else PlainProgress."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return PlainProgress(iterable, desc=desc, total=total)
    interactive = sys.stderr.isatty()
    return tqdm(iterable, desc=desc, total=total, dynamic_ncols=True,
                mininterval=0.1 if interactive else 5.0)
