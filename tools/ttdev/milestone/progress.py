"""Live progress for training runs: one display per run, showing loss and accuracy.

In a terminal (standard output is a TTY) with ``rich`` installed, a live bar
redraws in place and whatever the script prints appears above it. Anywhere
else (CI logs, a pipe, a file) a plain line is printed every ``every``
seconds and once at the end, so logs stay readable. Both accept the same
calls::

    bar = progress(range(steps), desc="train")      # one loop
    for step in bar:
        bar.set_postfix(loss=0.31)

    bar = progress(desc="cnn", total=epochs * batches)  # several loops, one display
    for epoch in range(epochs):
        for batch in bar(loader):                   # advances the same display
            ...
        bar.set_postfix(epoch=f"{epoch + 1}/{epochs}", loss=0.2, acc=0.93)
    bar.close()
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator

from .console import colour_enabled, set_live_console, terminal_stream

PLAIN_EVERY = 5.0   # seconds between lines in a log


def _length(iterable) -> int | None:
    """len(iterable) when it has one, else None."""
    try:
        return len(iterable)
    except TypeError:
        return None


def _short(value) -> str:
    """A postfix value, compactly: 4 significant digits for floats."""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def format_postfix(values: dict) -> str:
    """``loss=0.31 acc=0.93``."""
    return " ".join(f"{k}={_short(v)}" for k, v in values.items())


class _Display:
    """What both displays share: an optional iterable, a count, postfix values, close()."""

    def __init__(self, iterable: Iterable | None, desc: str, total: int | None):
        self.iterable = iterable
        self.desc = desc
        self.total = total if total is not None else _length(iterable)
        self.postfix: dict[str, object] = {}
        self.count = 0
        self.closed = False
        self._owns_loop = iterable is not None   # close itself when that loop ends
        self._started = time.perf_counter()

    def __call__(self, iterable: Iterable) -> _Display:
        """Advance this display over ``iterable`` too (several loops, one display)."""
        self.iterable = iterable
        return self

    def set_postfix(self, ordered_dict=None, refresh: bool = True, **values) -> None:
        """Show these values (e.g. loss=0.31) beside the count (tqdm's signature)."""
        self.postfix = {**(ordered_dict or {}), **values}

    def set_description(self, desc: str) -> None:
        """Change the text before the count (e.g. ``cnn epoch 3/8``)."""
        self.desc = desc

    def __iter__(self) -> Iterator:
        for item in self.iterable:
            yield item
            self.count += 1
            self._advanced()
        if self._owns_loop:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._finish()

    def _advanced(self) -> None: ...

    def _finish(self) -> None: ...


class PlainProgress(_Display):
    """A line ``desc: 30/100 (30%) 1.2s loss=0.31`` every ``every`` seconds and at the end."""

    def __init__(self, iterable: Iterable | None = None, desc: str = "",
                 total: int | None = None, every: float = PLAIN_EVERY, stream=None):
        super().__init__(iterable, desc, total)
        self.every = every
        self.stream = stream or sys.stdout
        self._last = self._started

    def line(self) -> str:
        elapsed = time.perf_counter() - self._started
        done = f"{self.count}/{self.total} ({100 * self.count / self.total:.0f}%)" \
            if self.total else f"{self.count}"
        return f"{self.desc}: {done} {elapsed:.1f}s {format_postfix(self.postfix)}".rstrip()

    def _advanced(self) -> None:
        now = time.perf_counter()
        if now - self._last >= self.every:
            self._last = now
            print(self.line(), file=self.stream, flush=True)

    def _finish(self) -> None:
        print(self.line(), file=self.stream, flush=True)


class RichProgress(_Display):
    """A live rich bar: description, bar, count, elapsed and remaining time, postfix values."""

    def __init__(self, iterable: Iterable | None = None, desc: str = "",
                 total: int | None = None, stream=None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        super().__init__(iterable, desc, total)
        stream = stream or terminal_stream()
        console = Console(file=stream, force_terminal=True, no_color=not colour_enabled(stream))
        self._bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("eta"),
                             TimeRemainingColumn(), TextColumn("{task.fields[postfix]}"),
                             console=console, redirect_stdout=False, redirect_stderr=False)
        self._task = self._bar.add_task(desc, total=self.total, postfix="")
        self._bar.start()
        set_live_console(console)

    def set_postfix(self, ordered_dict=None, refresh: bool = True, **values) -> None:
        super().set_postfix(ordered_dict, refresh, **values)
        self._bar.update(self._task, postfix=format_postfix(self.postfix))

    def set_description(self, desc: str) -> None:
        super().set_description(desc)
        self._bar.update(self._task, description=desc)

    def _advanced(self) -> None:
        self._bar.advance(self._task)

    def _finish(self) -> None:
        self._bar.stop()
        set_live_console(None)


def live_display_possible(stream=None) -> bool:
    """A live bar only for a person at a terminal, and only when rich is installed."""
    stream = stream or terminal_stream()
    if not getattr(stream, "isatty", lambda: False)():
        return False
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def progress(iterable: Iterable | None = None, desc: str = "", total: int | None = None):
    """A progress display over ``iterable`` (or, without one, to advance with ``bar(loop)``)."""
    if live_display_possible():
        return RichProgress(iterable, desc=desc, total=total)
    return PlainProgress(iterable, desc=desc, total=total)
