"""The lock a mirror's sync holds (a file in its folder), and the deletion of a whole mirror under it.

Why a module of its own: taking the lock (made, waited for, given up, failed on a file system
without locks and what that failure leaves) needs nothing of the mirror's database
(mirror.MirroredLibrary, whose `_one_sync` uses it), and the two together were past the project's
file length.  Why the lock is there at all: mirror.MirroredLibrary._one_sync.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["SYNC_LOCK", "LanError", "WaitCheck", "delete_mirror", "lock_sync"]

log = logging.getLogger(__name__)

#: in the mirror's folder: held by the sync in progress (mirror.MirroredLibrary._one_sync)
SYNC_LOCK = "sync.lock"
#: a sync's caller's check while the sync waits for another one's lock (`lock_sync`): raises to give
#: up (the service's rescan: its progress callback raises ScanStoppedError once the speaker stops)
WaitCheck = Callable[[], object]
#: how often a sync with a WaitCheck tries the lock again meanwhile
_WAIT_POLL_S = 0.2


class LanError(Exception):
    """The server could not be reached or answered with something that is not the protocol, or its
    mirror cannot be synced here (`lock_sync`).  Here, not in client.py (which gives it too): the
    mirror's sync lock raises it."""


def delete_mirror(root: Path) -> bool:
    """Delete the mirror folder `root` (its server is no longer configured: sources.prune_mirrors),
    its database, downloads and notes, unless a sync of it is in progress (a `library sync --url`
    run by hand: False, and the next rescan deletes it).  Under the sync's lock: a sync starting
    meanwhile waits, then finds its lock file deleted and makes its mirror anew (`_one_sync`).  On
    a file system without locks (ENOLCK: NFS without lockd) it is deleted all the same: no sync can
    run there either (`_one_sync` fails).  OSError when it cannot be deleted."""
    try:
        lock = (root / SYNC_LOCK).open("ab")
    except FileNotFoundError:  # gone already
        return not root.exists()
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("%s: a sync is in progress; its mirror is deleted at the next rescan", root)
            return False
        except OSError as exc:
            log.info("%s: cannot be locked (%s); no sync can run there, deleted all the same", root, exc)
        shutil.rmtree(root)
    return True


def lock_sync(root: Path, source: str, waiting: WaitCheck | None = None) -> BinaryIO:
    """The sync lock file of the mirror folder `root` (of the server `source`), locked, waited for
    while another sync holds it.  LanError naming the folder when it cannot be made or locked:
    flock fails with ENOLCK on an NFS mount without lockd, and an OSError escaped the sync as a
    traceback that stopped the rescan before the other servers synced (sources.sync_remote makes
    it a SyncError).  Then what this call made goes again (`_undo`): a first sync there left an
    empty mirror folder holding only the lock file, and a folder it did not make stays.  With
    `waiting`, the wait polls the lock and calls it before each try, and what it raises ends the
    wait: a blocking flock could not be interrupted by the service's stop, which gave up on its
    join timeout while the rescan waited for a long `library sync` run by hand."""
    path = root / SYNC_LOCK
    made: list[Path] = []  # the folders this call made, outermost first
    try:
        _make_folder(root, made)
        try:
            lock, created = path.open("xb"), True  # (made here: ours to delete if it cannot lock)
        except FileExistsError:
            lock, created = path.open("ab"), False
    except OSError as exc:
        _undo(made, None)
        raise LanError(f"{source}: cannot write its mirror folder {root}: {exc}") from exc
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another sync holds it: the file is not this one's to delete
            created = False
            log.info("%s: waiting for another sync of this server to finish", source)
            _wait_for(lock, waiting)
    except OSError as exc:
        lock.close()
        _undo(made, path if created else None)
        raise LanError(
            f"{source}: cannot lock {path} ({exc}); a network file system without file"
            " locks? keep the speaker's data folder on local storage"
        ) from exc
    except BaseException:  # given up (`waiting`), or interrupted
        lock.close()
        raise
    return lock


def _make_folder(root: Path, made: list[Path]) -> None:
    """`root` made with its missing parents, each folder made here added to `made` (one another
    process made meanwhile is not)."""
    missing = []
    folder = root
    while not folder.is_dir() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        made.append(folder)


def _undo(made: list[Path], lock: Path | None) -> None:
    """A sync that could not lock: the lock file it made (`lock`) deleted when its folder holds
    nothing else, then the folders it made (`made`), innermost first, each only while empty: what
    another process put there meanwhile stays, and the folders holding it."""
    with contextlib.suppress(OSError):
        if lock is not None and os.listdir(lock.parent) == [lock.name]:
            lock.unlink()
        for folder in reversed(made):
            folder.rmdir()  # (OSError when not empty: the rest stays too)


def _wait_for(lock: BinaryIO, waiting: WaitCheck | None) -> None:
    """Lock `lock` (exclusive), which another sync holds: blocked in flock without `waiting`, else
    polled, `waiting` called before each try (`lock_sync`)."""
    if waiting is None:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return
    while True:
        waiting()
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            time.sleep(_WAIT_POLL_S)
