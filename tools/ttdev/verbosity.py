"""Whether a session shows its plumbing (wheel builds, installer commands, provenance tables).

Hidden by default, so a student sees the training start right after the session does;
shown with nox's ``-v``/``--verbose`` or ``TT_VERBOSE=1``.
"""

from __future__ import annotations

import os

VERBOSE_ENV = "TT_VERBOSE"


def verbose(session) -> bool:
    """True when plumbing should be printed: ``nox -v`` or ``TT_VERBOSE`` set to a non-0 value."""
    if os.environ.get(VERBOSE_ENV, "0") not in ("", "0"):
        return True
    config = getattr(getattr(session, "_runner", None), "global_config", None)
    return bool(getattr(config, "verbose", False))
