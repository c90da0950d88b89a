"""Atomic file writes: a power cut leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

#: A temp file this old was left by a write that was killed (power cut, kill -9): nobody owns it.
STALE_TMP_S = 60.0


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write `data` to `path` via a temp file in the same folder, fsync, rename, fsync the folder.

    Raises OSError (e.g. ENOSPC) with the old file untouched and no temp file left behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files of earlier writes to `path` that were cut off before their rename."""
    cutoff = time.time() - STALE_TMP_S
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def atomic_write_text(path: Path, text: str, *, mode: int = 0o644) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
