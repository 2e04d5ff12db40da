"""What a milestone prints: colour for a person at a terminal, plain text everywhere else.

Colour follows the usual conventions: ``NO_COLOR`` (any value) turns it off,
``FORCE_COLOR`` turns it on, and otherwise only a terminal gets it (not a
pipe, a file or a CI log). The run's transcript, saved beside its results,
is always plain text.
"""

from __future__ import annotations

import io
import os
import re
import sys

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STYLES = {"pass": "1;32", "fail": "1;31", "warn": "1;33", "dim": "2", "bold": "1",
          "heading": "1;36"}

_live_console: list = [None]   # the rich console of the live progress bar, while one runs


def _is_terminal(stream) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def colour_enabled(stream=None) -> bool:
    """Whether text for ``stream`` (default: standard output) may carry colour."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_terminal(stream or sys.stdout) and os.environ.get("TERM") != "dumb"


def paint(text: str, style: str, stream=None) -> str:
    """``text`` in one of :data:`STYLES` when colour is enabled, else unchanged."""
    if not colour_enabled(stream):
        return text
    return f"\x1b[{STYLES[style]}m{text}\x1b[0m"


def plain(text: str) -> str:
    """``text`` without colour codes."""
    return ANSI_ESCAPE.sub("", text)


def set_live_console(console) -> None:
    """While a live bar runs, printed lines go through its console (above the bar)."""
    _live_console[0] = console


class Transcript(io.TextIOBase):
    """Standard output, copied as plain text as it is printed (the run's log).

    While a live progress bar runs, whole lines are handed to its console,
    which prints them above the bar instead of over it.
    """

    def __init__(self, stream) -> None:
        self.stream = stream
        self.copy = io.StringIO()
        self._pending = ""

    @classmethod
    def start(cls) -> Transcript:
        transcript = cls(sys.stdout)
        sys.stdout = transcript
        return transcript

    def write(self, text: str) -> int:
        self.copy.write(plain(text))
        live = _live_console[0]
        if live is None:
            return self.stream.write(text)
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        if lines:
            from rich.text import Text

            live.print(Text.from_ansi("\n".join(lines)), soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return _is_terminal(self.stream)

    def stop(self) -> str:
        """Stop copying; return everything printed since the start, without colour codes."""
        if sys.stdout is self:
            sys.stdout = self.stream
        return self.copy.getvalue()


def terminal_stream():
    """The stream under the transcript (what a live bar draws on), else standard output."""
    return sys.stdout.stream if isinstance(sys.stdout, Transcript) else sys.stdout
