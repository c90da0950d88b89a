"""Telling a file new to the index that is an indexed one moved or renamed from one that is a copy.

A track's id is made from where its file was first found; likes, dislikes, plays, the player's saved
queue and LAN clients' mirrors know the track by it.  A tagger's new folder names (Picard, beets) or
an album moved to another folder made every file a new track with a new id, and all that was known of
it went with the old one.  A new file with the audio of an analysed track whose place this scan finds
gone is that track moved: it keeps its id (Batch.move_file).  A copy, whose original is still there,
is a track of its own, as before.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from moodspeaker.library.batch import Batch
from moodspeaker.library.payload import legacy_hash
from moodspeaker.library.scanner import FileEntry, is_under


@dataclass(frozen=True)
class Places:
    """What one scan's walk tells of where files are: `listed`, the files it listed; `roots`, the
    folders it read; `kept_out`, folders whose files it cannot tell gone (could not be read, an empty
    mount point): the scan keeps their files in the index, so their tracks may not move."""

    listed: frozenset[str]
    roots: tuple[str, ...]
    kept_out: tuple[str, ...]

    def moved_from(self, b: Batch, f: FileEntry, digest: str, legacy: bool) -> tuple[str, str] | None:
        """(id, old location) of the analysed track whose file `f` (new to the index) is, renamed or
        moved: the same audio (`digest`, or with `legacy` the hash of an earlier version, legacy_hash),
        at a place under the roots that the walk did not list and that is gone (or is `f` itself,
        reached through a link left at the old place).  None when there is none: a copy, whose original
        is still there, is a track of its own; so is a file of a folder kept out or outside the roots."""
        found = self._among(b, f, digest)
        return self._among(b, f, legacy_hash(f.path, f.size)) if found is None and legacy else found

    def _among(self, b: Batch, f: FileEntry, content: str) -> tuple[str, str] | None:
        for tid, location in b.moved_away(content) if content else []:
            if location in self.listed or not os.path.isabs(location) or is_under(location, self.kept_out):
                continue
            if is_under(location, self.roots) and gone(location, f.path):
                return tid, location
        return None


def gone(location: str, now_at: str) -> bool:
    """Whether a file indexed at `location` and found at `now_at` left `location`: nothing is there, or
    only `now_at` itself (a link left at the old place)."""
    try:
        return os.path.samefile(location, now_at)
    except OSError:
        return not os.path.lexists(location)
