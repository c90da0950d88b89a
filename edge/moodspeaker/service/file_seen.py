"""What a "missing" mark records of the file that failed to open, and whether a rescan lifts it.

A track that could not be opened is held back from the picks ("missing"), and a rescan lifts the mark
when the file can be opened again (service.rescan.file_back).  "Its file is there" is not enough: a
file that is there and failed all the same (damaged, unreadable for its permissions) fails again,
after every scan.  So the mark records the file as it was when the track failed (`file_seen`): None
when nothing was there (a disk unplugged, a file moved before the rescan found it), else its place,
size, mtime and permissions.  A mark with None is lifted once a file is there; one with the file is
lifted once the file is another (`changed`): re-encoded or rewritten (size, mtime), its permissions
or owner fixed, or the track found at another place; or once it opens, unchanged (a failure that was
not the file's: ffmpeg missing for a while, a decoder killed; service.file_opens).  What was there is
looked at when the track fails (service.feedback), not later: a disk back meanwhile is no change.
"""

from __future__ import annotations

import json
import logging
import os
import stat

log = logging.getLogger(__name__)


def file_seen(location: str) -> str | None:
    """The file at `location` as it is now, as text to store (JSON), or None when no regular file is
    there (or cannot be seen: a folder unreadable for its permissions)."""
    try:
        st = os.stat(location)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    state = {
        "path": location,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "mode": stat.S_IMODE(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
    }
    return json.dumps(state, sort_keys=True)


def changed(seen: str | None, location: str) -> bool:
    """Whether a mark recorded with `seen` (file_seen's) may be lifted by the file now at `location`:
    a file is there, and nothing was when the track failed (or the mark does not say: None, or text
    that is not file_seen's), or it is another file now (moved, rewritten, its permissions changed)."""
    now = file_seen(location)
    if now is None:
        return False
    if seen is None:
        return True
    try:
        before = json.loads(seen)
    except ValueError:
        log.warning("a missing mark's file state %r is not readable: the mark is lifted", seen[:80])
        return True
    return not isinstance(before, dict) or before != json.loads(now)
