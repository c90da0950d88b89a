"""What a scan left out, counted one way wherever it is said: the files that failed in an earlier
scan and were not tried again (`moodspeaker index`, the page's scan line) and the files or folders
the walk could not read (the scan line, the library's health detail, Home Assistant's sensor).

Kept free of the library extra's imports: the service reads it at every health report.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moodspeaker.library.scan_summary import ScanSummary

#: Scan problems that are not a file or folder left unread, so not counted "not readable": a file
#: kept out as too short (counted as such), an emptied or missing music folder (said with its path:
#: the library's health is "missing", `moodspeaker index` says it could not scan it), a link to a
#: folder scanned already (nothing is missed), a file in a format the speaker cannot index (counted
#: as such).  The others are: an unreadable file or folder, one that is not a regular file (a pipe), a
#: name that is not UTF-8, a dangling link or one to a folder not mounted, a file that vanished during
#: the scan (it was not read; the next scan finds it at its new place or not at all).
NOT_UNREADABLE = frozenset({"too-short", "empty", "missing", "symlink-loop", "unsupported"})


def not_readable(kinds: Iterable[str | None]) -> int:
    """How many of the scan problems of these kinds are files or folders left unread."""
    return sum(1 for kind in kinds if kind not in NOT_UNREADABLE)


def failed_earlier(index: Any, summary: ScanSummary, folders: Iterable[str]) -> int:
    """Files under `folders` that failed in an earlier scan and were not tried again in this one
    (unchanged since): `index` a LibraryIndex (its stats()), `summary` this scan's ScanSummary.  A
    second run said "0 failed" while `library stats` listed them."""
    from moodspeaker.library.scanner import is_under  # noqa: PLC0415 (library extra)

    now = {path for path, _ in summary.failed}
    roots = [os.path.abspath(os.path.expanduser(f)) for f in folders]
    return sum(
        1
        for f in index.stats().get("failures", [])
        if f.get("status") == "failed" and f["path"] not in now and is_under(f["path"], roots)
    )
