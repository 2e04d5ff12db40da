"""Writing files so that a crash never loses the previous version.

Every file tinytorch writes (checkpoints, tokenizers, results, reports) goes
through ``atomic_write``: the new contents go to a temporary file in the same
folder, are flushed to disk, and only then replace the old file with
``os.replace``, which is atomic on POSIX and Windows. A process killed at any
moment leaves either the old file or the new one, never half of one.

A process killed with ``kill -9`` cannot remove its temporary file, so each
temporary file's name carries the id of the process that wrote it
(``.<name>.<pid>.<random>.tmp``), and the next write of the same file removes
the leftovers of processes that no longer run.
"""

from __future__ import annotations

import contextlib
import glob
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_write", "atomic_write_text"]


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Write ``path`` by calling ``write(file)`` on a temporary file, then replace ``path``.

    Args:
        path: the file to write; its folder must exist.
        write: called once with a binary file object open for writing.

    Returns:
        ``path`` as a ``Path``.

    An existing file keeps its permission bits; a new one gets the usual
    ``0o666`` less the umask. If ``write`` raises (or the process is
    interrupted), the temporary file is removed and ``path`` is unchanged.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    _remove_abandoned_temporaries(path)
    mode = _mode_for(path)
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=folder
    )
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_folder(folder)
    return path


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """``atomic_write`` for text: ``path`` holds ``text`` encoded with ``encoding``."""
    data = text.encode(encoding)
    return atomic_write(path, lambda file: file.write(data))


def _mode_for(path: Path) -> int:
    """The permission bits the new file gets: the old file's, or 0o666 less the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove_abandoned_temporaries(path: Path) -> None:
    """Delete ``.<name>.<pid>.*.tmp`` files beside ``path`` whose process no longer runs."""
    prefix = f".{path.name}."
    for candidate in path.parent.glob(f"{glob.escape(prefix)}*.tmp"):
        pid_text = candidate.name[len(prefix) :].split(".", 1)[0]
        if pid_text.isdigit() and not _process_alive(int(pid_text)):
            with contextlib.suppress(OSError):
                candidate.unlink()


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists (someone else's), or we cannot tell: leave its file alone
    return True


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
