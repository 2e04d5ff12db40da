"""The tooling's reports (grades, mutation scores) are replaced whole or not at all.

The packages and milestones write through ``tinytorch.tensor.io.atomic_write``;
the tooling runs inside nox's own environment, where no tinytorch package is
installed, so it keeps this small equivalent: a temporary file in the same
folder, flushed, given the old file's permission bits, then ``os.replace``d.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def replace_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` so that a crash leaves the old file or the new one, never half."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o644
    handle = tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", newline="", dir=path.parent, prefix=f".{path.name}.",
        suffix=".tmp", delete=False)
    try:
        with handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise
    return path
