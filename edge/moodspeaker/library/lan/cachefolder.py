"""What one download cache folder holds and what goes from it (library.lan.audiocache's folders).

Why a module of its own: deciding which files go (the sweep: gone, stale, least recently used beyond
the bound; the privacy retention; a clear) and deleting only what nothing uses (`hold` against
`_delete`, both flocks) needs to read nothing of how a file comes in (audiocache: downloading,
finishing, adopting, stamping uses), and the two together were past the project's file length.
The rules themselves are audiocache's module doc.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

__all__ = ["ASIDE", "PART", "TAG", "CacheFolder", "Entry", "same_file"]

log = logging.getLogger(__name__)

#: a partial download's name ends so (audiocache.AudioCache.writing)
PART = ".part"
#: beside a partial download: the server's ETag of the file it is the start of
TAG = ".etag"
#: beside a download no play has used yet (audiocache's module doc: set aside)
ASIDE = ".aside"


@dataclass(frozen=True)
class Entry:
    path: Path
    track_id: str
    version: str  # "" for a download made without a mirrored row (or before versions)
    size: int
    used_ns: int
    aside: bool = False  # no play used it yet (audiocache's module doc)


def same_file(path: Path, handle: BinaryIO) -> bool:
    """Whether `path` still names the file open as `handle` (not deleted or replaced meanwhile)."""
    try:
        return os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return False


class CacheFolder:
    """A folder of downloads bounded by `max_bytes` (audiocache's module doc): listing, holding and
    deleting.  Thread-safe; several processes may share the folder."""

    def __init__(self, folder: Path, max_bytes: int, counted: Path | None = None) -> None:
        """`counted`: a folder whose files count against this bound but are not this cache's to
        delete (an OpenSubsonic sync's staging: its copies are on the same card, and move in once
        analysed); the room they take comes from the set-aside copies only (`sweep`)."""
        self.folder = folder
        self.max_bytes = max_bytes
        self.counted = counted

    @contextlib.contextmanager
    def hold(self, path: Path) -> Iterator[bool]:
        """Keep `path` from being deleted during the block (a shared flock); yields False when it
        was deleted before it could be held."""
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            yield False
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_SH)
            yield same_file(path, handle)

    def entries(self, folder: Path | None = None) -> list[Entry]:
        """Every download and partial download in the folder (or in `folder`), and the ETags (other
        files are not ours; the set-aside marks are the `aside` of their downloads)."""
        found = []
        try:
            listing = list(os.scandir(folder or self.folder))
        except FileNotFoundError:
            return []
        for item in listing:
            name = item.name
            if name.endswith(ASIDE):
                continue
            stem = next((name[: -len(end)] for end in (PART, TAG) if name.endswith(end)), name)
            track_id, _, version = stem.partition(".")
            if not track_id or "." in version:
                continue
            try:
                st = item.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            aside = os.path.lexists(item.path + ASIDE)
            found.append(Entry(Path(item.path), track_id, version, st.st_size, st.st_mtime_ns, aside))
        return found

    def sweep(
        self, current: Callable[[Iterable[str]], Mapping[str, str]], keep: Path | None = None, room: int = 0
    ) -> int:
        """Delete the downloads that are gone or stale, then the least recently used ones beyond the
        bound; never `keep` (just fetched) nor anything in use.  `current(ids)` gives the version the
        mirror has of each of those ids it still has.  Then, for the files of `counted` and `room`
        bytes more (downloads about to be made for an analysis), set-aside copies go too, oldest
        first, never a played one: an analysis download never pushes out a song the listener played
        (audiocache's module doc), so what it cannot get from them is over the bound (at most one
        song's file: library.lan.subsonic sizes its groups by the room left).  Returns how many
        files were deleted."""
        entries = self.entries()
        versions = current({e.track_id for e in entries})
        deleted, total, live = 0, 0, []
        for e in entries:
            stale = e.path != keep and versions.get(e.track_id) != e.version
            if stale and self._delete(e.path):
                deleted += 1
                continue
            total += e.size  # a stale file in use takes room too
            if not stale and not e.path.name.endswith(TAG):  # an ETag goes with its partial download
                live.append(e)
        coming = room + (sum(e.size for e in self.entries(self.counted)) if self.counted else 0)
        for e in sorted(live, key=lambda e: (not e.aside, e.used_ns, e.path.name)):  # set aside first
            if total + (coming if e.aside else 0) <= self.max_bytes:
                break
            if e.path != keep and self._delete(e.path):
                deleted += 1
                total -= e.size
        if total + coming > self.max_bytes:
            log.info(
                "audio cache %s: %d bytes and %d to come, over %d (the rest is in use or played)",
                self.folder, total, coming, self.max_bytes,
            )  # fmt: skip
        for e in entries:  # ETags whose partial download is gone (finished, evicted, stale)
            if e.path.name.endswith(TAG) and not e.path.with_name(e.path.name[: -len(TAG)] + PART).exists():
                e.path.unlink(missing_ok=True)
        self._drop_marks()
        return deleted

    def room_for(self, current: Callable[[Iterable[str]], Mapping[str, str]], size: int) -> bool:
        """Room made (`tidy`) for `size` bytes to come beside `counted`'s files as they are (their
        real sizes), and whether they fit in the bound beside all that is here then: an analysis
        download waits for a later group when not (library.lan.subsonic: a listed size may be short
        of the file, or not given)."""
        self.tidy(current, room=size)
        counted = sum(e.size for e in self.entries(self.counted)) if self.counted else 0
        return sum(e.size for e in self.entries()) + counted + size <= self.max_bytes

    def aside_room(self) -> int:
        """What the bound leaves beside the copies plays used (and partial downloads): the room the
        set-aside copies and the downloads for an analysis share (`sweep`)."""
        return self.max_bytes - sum(e.size for e in self.entries() if not e.aside)

    def _drop_marks(self) -> None:
        """Delete the set-aside marks whose download is gone (and not being made).  The partial
        download is looked for first: `AudioCache.finish` renames it to the download in one step,
        so a download finished between the two looks is seen as one or the other (looked for the
        other way round, it was seen as neither, and a fresh copy lost its mark)."""
        with contextlib.suppress(FileNotFoundError):
            for item in os.scandir(self.folder):
                base = item.path[: -len(ASIDE)]
                if item.name.endswith(ASIDE) and not any(os.path.lexists(base + end) for end in (PART, "")):
                    Path(item.path).unlink(missing_ok=True)

    def tidy(
        self, current: Callable[[Iterable[str]], Mapping[str, str]], keep: Path | None = None, room: int = 0
    ) -> None:
        """`sweep`, an error of the folder (unreadable, the card read-only) logged and not raised: a
        client sweeps after a sync or a download, whose result stands without it, and what is left
        goes at a later sweep."""
        try:
            self.sweep(current, keep, room)
        except OSError as exc:
            log.warning("%s: cannot clean the downloaded audio: %s", self.folder, exc)

    def forget_uses(self, before: float | None = None) -> int:
        """The privacy retention (`before`, a `time.time()`) or "delete everything" (None): a
        download's file times say when its track was last played (`AudioCache._touch`; a set-aside one's, when
        it was downloaded), and a partial one's when a play began to fetch it, so the files last
        used before `before` (all of them) are deleted; zeroing their times would not do, the
        change time of each file would say when it was done.  A file in use (playing, being
        written) stays, its times set to 0 (one instant for all; its change time is now): it goes,
        or is stamped anew, at its next use.  Returns how many files were deleted."""
        cut_ns = None if before is None else int(before * 1e9)
        deleted = 0
        for e in self.entries():
            if cut_ns is not None and e.used_ns >= cut_ns:
                continue
            if self._delete(e.path):
                deleted += 1
                continue
            with contextlib.suppress(FileNotFoundError):
                os.utime(e.path, ns=(0, 0))
        self._drop_marks()
        return deleted

    def clear(self) -> int:
        """Delete every file not in use and leave the others as they are: a folder another process
        works in at the same time (an OpenSubsonic sync's staging beside a second sync: its copies
        held, its download in progress), where `forget_uses` would zero the times of the files kept
        (a copy adopted then dated 1970, deleted by the next retention pass) and delete the ETag of
        a download in progress (it could not resume).  An ETag goes with its partial download only.
        Returns how many files were deleted."""
        entries = self.entries()
        tags = [e for e in entries if e.path.name.endswith(TAG)]
        deleted = sum(self._delete(e.path) for e in entries if e not in tags)
        for e in tags:  # after the partial downloads: a leftover's goes in the same pass
            if not e.path.with_name(e.path.name[: -len(TAG)] + PART).exists() and self._delete(e.path):
                deleted += 1
        self._drop_marks()
        return deleted

    @staticmethod
    def _delete(path: Path) -> bool:
        """Delete `path` unless it is in use (held or being written); whether it is gone."""
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            return False
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.debug("%s is in use: kept for now", path)
                return False
            if not same_file(path, handle):
                return False
            try:
                path.unlink()
            except OSError as exc:
                log.warning("cannot delete %s: %s", path, exc)
                return False
        return True
