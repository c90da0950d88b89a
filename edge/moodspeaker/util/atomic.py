"""Atomic file writes: a power cut leaves either the old file or the new one, never half of one.

A file written without a `mode` gets the permissions a plain `open()` would give it (0666 less the
process umask).  It used to be chmod-ed to 0644 whatever the umask, so the systemd unit's UMask=0027
was undone and, e.g., a listener's neutral-face calibration was readable by every user of the machine.
A caller that gives `mode` gets exactly that (secrets and personal data pass 0o600).  The folders a
write makes for a file only its owner may read (a `mode` with no group or other bits) are the owner's
alone too (`private_folder`): they were made 0755, so every user of the machine could list, e.g., the
calibration folder, whose file names hold the listeners' names.

Once the rename has happened the write has happened: the folder's fsync after it only makes the
rename itself survive a power cut, so its failure is logged, not raised.  Raised, it made callers say
"nothing was saved" (the page's Settings, `moodspeaker config set`) about a file that had changed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from pathlib import Path

log = logging.getLogger(__name__)

#: A temp file this old was left by a write that was killed (power cut, kill -9): nobody owns it.
STALE_TMP_S = 60.0
#: The mode of the folders made for the speaker's data (`private_folder`).
PRIVATE_FOLDER = 0o700


def private_folder(folder: Path) -> Path:
    """Make `folder` and whichever of its parents are missing, each one made here 0700 (the umask can
    only take bits away); a folder that exists is left as it is (the installer makes the device's data
    folder 0750).  For the data folder and its subfolders: file names there can hold a listener's name
    (calibration/neutral-<name>.json).  Returns `folder`; OSError as Path.mkdir raises it."""
    folder = Path(folder)
    missing: list[Path] = []
    level = folder
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    for made in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made meanwhile (another process)
            made.mkdir(mode=PRIVATE_FOLDER)
    folder.mkdir(parents=True, exist_ok=True)  # a file where a folder should be raises, as it did
    return folder


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write `data` to `path` via a temp file in the same folder, fsync, rename, fsync the folder.
    `mode`: the file's permissions exactly; None: as `open()` would make it (the umask applies).  The
    missing folders are made for it, 0700 when `mode` gives the owner alone access (`private_folder`).

    Raises OSError (e.g. ENOSPC) only with the old file untouched and no temp file left behind;
    after the rename nothing raises (see _sync_folder).
    """
    path = Path(path)
    if mode is not None and not mode & 0o077:  # the owner's file: in folders the owner's alone
        private_folder(path.parent)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = _create_temp(path, 0o666 if mode is None else 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)  # before any byte is in it
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_folder(path)


def _sync_folder(path: Path) -> None:
    """fsync the folder of `path`, just renamed into place, so the rename outlasts a power cut.

    The new file is in place whatever happens here (every reader sees it), so a failure (EIO, or a
    filesystem that refuses to fsync a folder) is a warning naming the file, not an error: what it
    risks is a power cut soon after bringing the old file back, not a write that did not happen.
    """
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        log.warning(
            "%s was written, but syncing its folder afterwards failed (%s): a power cut soon after "
            "could bring back the file as it was before",
            path,
            exc,
        )


def _create_temp(path: Path, create_mode: int) -> tuple[int, str]:
    """A new temp file beside `path` (`.NAME.XXXXXXXX.tmp`), opened for writing; the kernel applies the
    umask to `create_mode`, as for any new file (tempfile.mkstemp always makes 0600)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, create_mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def _remove_stale_temps(path: Path) -> None:
    """Delete temp files of earlier writes to `path` that were cut off before their rename."""
    cutoff = time.time() - STALE_TMP_S
    for leftover in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def atomic_write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
