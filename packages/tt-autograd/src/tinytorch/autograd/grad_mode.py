"""Grad mode: whether operations are recorded for backward.

``no_grad()`` switches recording off (for evaluation and for parameter
updates); ``enable_grad()`` switches it back on inside a ``no_grad`` block.
Both work as context managers and as decorators, as in PyTorch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

_F = TypeVar("_F", bound=Callable)


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are recorded."""
    return _GradMode.enabled


class _SetGradMode:
    """A context manager and decorator that sets grad mode and restores the old one.

    ``with no_grad():`` switches recording off for the block and back to what
    it was before on the way out, also when the block raises; blocks nest
    (``enable_grad()`` inside ``no_grad()`` inside ``enable_grad()`` ...).
    The mode lives in ``_GradMode.enabled``; the subclass says which mode its
    block runs in (``self.mode``).
    """

    mode: bool

    def __enter__(self) -> None:
        """Enter the block: remember the current mode and switch to ``self.mode``."""
        # BEGIN SOLUTION
        self._previous = _GradMode.enabled
        _GradMode.enabled = self.mode
        # END SOLUTION

    def __exit__(self, *exc_info) -> None:
        """Leave the block (normally or by an exception): restore the mode of before."""
        # BEGIN SOLUTION
        _GradMode.enabled = self._previous
        # END SOLUTION

    def __call__(self, function: _F) -> _F:
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with type(self)():
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_SetGradMode):  # noqa: N801 - PyTorch's name
    """Do not record operations: outputs do not require grad."""

    mode = False


class enable_grad(_SetGradMode):  # noqa: N801 - PyTorch's name
    """Record operations again, inside a ``no_grad`` block."""

    mode = True


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Set grad mode now; used as a context manager, restore the previous mode on exit.

    ``set_grad_enabled(False)`` switches recording off at once, as a plain call;
    ``with set_grad_enabled(is_training): ...`` limits the change to the block.
    """

    def __init__(self, mode: bool) -> None:
        self._previous = _GradMode.enabled
        _GradMode.enabled = bool(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info) -> None:
        _GradMode.enabled = self._previous
