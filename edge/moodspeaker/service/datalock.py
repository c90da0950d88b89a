"""One speaker per data folder: `run` and `demo` hold a lock on a file in it for as long as they run.

Why: two speakers started on one data folder (`moodspeaker demo --data-dir X` twice, or `run` beside
another with a second port or --no-web) both wrote state.json, the recommender's feedback and the
mood history, each over the other's.  The second one now refuses to start, naming the folder and the
process holding it.  Commands that only read the folder (`library stats`, `config`) take no lock.

The lock is the kernel's (fcntl.flock on LOCK_FILE, open for the process's life): it ends with the
process however it ends (a kill -9, a power cut leaves no stale lock to clear by hand).  The file
keeps the holder's process id, for the refusal's sentence only.  A file system without locks
(ENOLCK: NFS without lockd) cannot take it: the speaker runs all the same, as before, and says so.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import BinaryIO

from moodspeaker.util.atomic import private_folder

__all__ = ["LOCK_FILE", "FolderInUseError", "hold_data_folder"]

log = logging.getLogger(__name__)

#: in the data folder: locked by the speaker running on it
LOCK_FILE = "speaker.lock"


class FolderInUseError(Exception):
    """Another speaker runs on the data folder; the message names it (and its process, if known)."""


def hold_data_folder(folder: Path) -> BinaryIO:
    """Lock `folder` (made first if need be) for this process: the open lock file, to be kept open
    as long as the speaker runs (closing it ends the lock).  FolderInUseError when another process
    holds it; OSError when the lock file cannot be made (a read-only folder)."""
    private_folder(folder)  # made the owner's alone: its file names can hold listeners' names
    path = folder / LOCK_FILE
    held: BinaryIO
    try:
        held = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+b")
    except PermissionError:  # left by a `sudo moodspeaker run`: root's file; a lock needs no write
        held = os.fdopen(os.open(path, os.O_RDONLY), "rb")
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = held.read(32).decode("ascii", "replace").strip()
        held.close()
        by = f" (process {holder})" if holder.isdigit() else ""
        raise FolderInUseError(
            f"another speaker is running on the data folder {folder}{by}; stop it first, or give this "
            "one a data folder of its own"
        ) from None
    except OSError as exc:  # no locks on this file system: run as before, unguarded
        log.warning("%s: cannot be locked (%s); nothing stops a second speaker on this folder", path, exc)
        return held
    if held.writable():
        held.truncate(0)
        held.write(f"{os.getpid()}\n".encode())
        held.flush()
    return held
