"""What the library leaves out, file by file, and why: the list behind the page's "Show files left out".

The page and the library's health say how many files failed ("2 failed, 1 not readable"); a household
fixing its library needs which files, and why.  Two lists:
- the files the index keeps out (`files_left_out`): failed to decode (with the decoder's error), too
  short for music (library.min_track_s), in a format the speaker cannot index, not readable (the
  walk's problems): from the library's `stats()`, the very read `moodspeaker library stats` prints
  and the library's health counts (service.health.library_state), no query of its own;
- the tracks held back from the picks because they failed to open when they were to play
  (`held_back_tracks`): the recommender's "missing" marks still in force (Recommender.held_back),
  since when, and why as the mark recorded it (service.file_seen: no file there, or a file there that
  would not open).

Paths are shown relative to the music folder they are in (`shown_path`); no listener is named (the
marks of every profile are one list), and only the owner's page asks for it (the control API's
`left_out`, /api/left-out).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from moodspeaker.library.left_out import NOT_UNREADABLE
from moodspeaker.recommend.feedback import Mark
from moodspeaker.service.core import ApplianceCore

log = logging.getLogger(__name__)

#: Why a file is left out, in words, by its index status (`failures`) or scan problem kind
#: (`problems`); a problem kind not named here is a file or folder the walk could not read
#: (library.left_out.not_readable counts them so).
WHY = {
    "failed": "failed to decode",
    "short": "too short",
    "too-short": "too short",
    "unsupported": "unsupported format",
    "empty": "music folder empty",
    "missing": "music folder not available",
    "symlink-loop": "link to a folder scanned already",
}
NOT_READABLE = "not readable"

#: Why a track is held back, by what its mark recorded of the file (service.file_seen).
NOT_FOUND = (
    "file not found when it was to play (disk unplugged, file moved?); "
    "a rescan offers it again once it is back"
)
NOT_OPENED = (
    "could not be opened (damaged or unreadable?); a rescan offers it again once it opens (replace or fix it)"
)
SERVER_AWAY = "its library server was out of reach; it is offered again once a track of that server plays"


def shown_path(path: str, folders: Iterable[str]) -> str:
    """`path` relative to the music folder it is in (the first of `folders` that holds it), else as
    it is: what the household sees in its file manager below the folder it shares."""
    for folder in folders:
        root = os.path.abspath(os.path.expanduser(folder))
        if path != root and path.startswith(root.rstrip(os.sep) + os.sep):
            return path[len(root.rstrip(os.sep)) + 1 :]
    return path


def files_left_out(stats: Mapping[str, Any], folders: Iterable[str]) -> list[dict[str, str]]:
    """Each file (or folder) the library leaves out, from a `LibraryIndex.stats()` read: its path
    (`shown_path`), `why` (WHY's words, or NOT_READABLE) and `detail` (the reason the index keeps,
    without the words of `why` it may begin with); by path, one entry per path."""
    roots = list(folders)
    out: dict[str, dict[str, str]] = {}
    entries = [(f.get("status", "failed"), f) for f in stats.get("failures", [])]
    entries += [(p.get("kind", ""), p) for p in stats.get("problems", [])]
    for kind, entry in entries:
        path = str(entry.get("path", ""))
        if not path or path in out:
            continue
        why = WHY.get(str(kind), NOT_READABLE if kind not in NOT_UNREADABLE else str(kind))
        detail = str(entry.get("reason") or "")
        detail = detail[len(why) + 2 :] if detail.lower().startswith(why + ": ") else detail
        out[path] = {"path": shown_path(path, roots), "why": why, "detail": detail}
    return sorted(out.values(), key=lambda e: e["path"])


def held_back_tracks(
    marks: Mapping[str, Mark], get: Callable[[str], Any] | None, folders: Iterable[str]
) -> list[dict[str, Any]]:
    """Each track held back because it failed to open (`marks`: Recommender.held_back), newest first:
    its title, artist, path (`shown_path`; a library server's track: its title only), `why` and
    `since` (when it failed, seconds since the epoch).  `get` looks the track up in the library; a
    track no longer in it is not listed (nothing is held back that could be picked)."""
    roots = list(folders)
    out = []
    for tid, mark in marks.items():
        track = get(tid) if get is not None else None
        if track is None:
            continue
        location, origin = str(getattr(track, "location", "")), str(getattr(track, "source", ""))
        server = "://" in origin
        why = SERVER_AWAY if server else (NOT_FOUND if mark.seen is None else NOT_OPENED)
        title = str(getattr(track, "title", "") or os.path.basename(location) or tid)
        out.append({
            "title": title,
            "artist": str(getattr(track, "artist", "") or ""),
            "path": "" if server else shown_path(location, roots),
            "why": why,
            "since": mark.ts,
        })  # fmt: skip
    return sorted(out, key=lambda e: (-float(e["since"]), e["path"]))


class LeftOutReport(ApplianceCore):
    """`left_out` of the control API's LibraryReporter (see the module doc)."""

    def left_out(self) -> dict[str, Any]:
        """{"files": files_left_out, "held_back": held_back_tracks} of the library the service plays
        from now (its index's `stats()`: the local index's, as `library stats` reads it)."""
        source = self._recommender.source
        stats_of = getattr(source, "stats", None)
        stats = stats_of() if callable(stats_of) else {}
        get = getattr(source, "get", None)
        folders = self.config.library.folders
        marks = self._recommender.held_back(time.time())
        return {
            "files": files_left_out(stats, folders),
            "held_back": held_back_tracks(marks, get if callable(get) else None, folders),
        }
