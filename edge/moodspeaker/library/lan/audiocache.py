"""The speaker's downloaded audio from one library server: bounded, versioned, safe to share.

Why: downloads were kept for ever, so an SD card filled up over months with the audio of tracks the
server had long dropped, and a track updated on the server (same id, new content) played its old
copy.  Music appliances keep such a cache bounded and drop what is gone or stale; so does this one:

- A download is named by its track and the version of the track it was made from
  (`<id>.<version>`, `version_of`: a fingerprint of the mirrored row, which the server sends again
  when the file changes: new tags, a new analysis of new audio).  The mirror's current version is
  the only one found; `sweep` deletes the others and the downloads of tracks no longer mirrored.
  A file whose bytes changed while its tags and analysis stayed the same plays the same music, and
  keeps its copy.
- Beyond `max_bytes`, the least recently used downloads go first (each use stamps the file's mtime);
  the file just downloaded stays even when the files in use leave no room (it is about to be played).
  The files of a folder counted with the cache (`counted`: an OpenSubsonic sync's staged analysis
  copies) and the room asked for downloads to come count too, but only set-aside copies go for them.
  No file may be larger than `max_bytes` itself, the whole cache (lan.transfer: refused, nothing
  kept, TooLargeError).  A download made for another reason than a play (an OpenSubsonic song's
  analysis copy, staged elsewhere and moved in by `adopt`; `get(..., use=False)`) is set aside: an
  empty file beside it (`<name>.aside`) says no play used it yet, until its first play (`find`)
  takes the mark off.  It goes first when room is
  needed, never a song played for it, and while there is room the song's first play finds it.  Its
  file times stay its own (when it was downloaded): the privacy retention (`forget_uses`) goes by
  them, so a new analysis copy is not deleted with the old plays (it was stamped older than every
  other file once, and so went at the next retention pass however new it was).
- A file being played is held with a shared flock (`hold`); a partial download is locked by its
  writer.  Deleting takes an exclusive flock without waiting and skips what it cannot lock, so
  nothing in use is deleted, by this process or another on the same folder (`library sync` run by
  hand beside the service); what was skipped goes at a later sweep.
- Which files go, and deleting only what nothing uses, is lan.cachefolder's (`CacheFolder`, this
  class's base); how a file comes in and is found is this module's.
- A download broken half-way is resumed (lan.transfer: Range with If-Range, the ETag kept beside the
  partial download, `<name>.etag`).  A partial download is named by its version too.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from moodspeaker.library.lan import transfer
from moodspeaker.library.lan.cachefolder import ASIDE, PART, TAG, CacheFolder, Entry, same_file
from moodspeaker.library.lan.transfer import DownloadError, TooLargeError
from moodspeaker.library.track import FEATURE_COLUMNS, Track

__all__ = ["ASIDE", "PART", "TAG", "AudioCache", "DownloadError", "Entry", "TooLargeError", "version_of"]

log = logging.getLogger(__name__)


def version_of(track: Track) -> str:
    """The fingerprint of what the server said of a track: it changes when the server sends the
    track again with anything new (tags, duration, analysis)."""
    said = [track.title, track.artist, track.album, track.duration_s, track.replaygain_db,
            *(getattr(track, c) for c in FEATURE_COLUMNS), sorted(track.extra.items())]  # fmt: skip
    return hashlib.blake2b(json.dumps(said).encode("utf-8"), digest_size=6).hexdigest()


class AudioCache(CacheFolder):
    """One folder of downloads (module doc): how a file comes in and is found, stamped, held;
    which go is CacheFolder's.  Thread-safe; several processes may share the folder."""

    def __init__(self, folder: Path, max_bytes: int, counted: Path | None = None) -> None:
        super().__init__(folder, max_bytes, counted)
        self._clock = threading.Lock()
        self._last_ns = 0

    def path(self, track_id: str, version: str) -> Path:
        return self.folder / (f"{track_id}.{version}" if version else track_id)

    def find(self, track_id: str, version: str, *, use: bool = True) -> Path | None:
        """The download of this version of the track, stamped as used (`use`); None when there is none."""
        path = self.path(track_id, version)
        if use:
            try:
                self._use(path)
            except FileNotFoundError:
                return None
        return path if path.is_file() else None

    def _use(self, path: Path) -> None:
        """`path` used by a play: stamped now, its set-aside mark (if any) taken off."""
        self._touch(path)
        (self.folder / (path.name + ASIDE)).unlink(missing_ok=True)

    def _touch(self, path: Path) -> None:
        """Stamp `path` as used now (strictly after the last use stamped here: the file clock's
        granularity would otherwise tie two uses in a row)."""
        with self._clock:
            self._last_ns = max(time.time_ns(), self._last_ns + 1)
            now = self._last_ns
        os.utime(path, ns=(now, now))

    def _make_folder(self) -> None:
        """The folder, the owner's alone (0700): its file names are the tracks played and their times
        when (`_touch`), listening history as the feedback is (whose database is 0600).  Under the
        umask of a run by hand (022) it was open to every user of the machine.  Best effort: a
        folder of another owner keeps its mode (SQLite's and the downloads' own errors say more)."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(OSError):
            if self.folder.stat().st_mode & 0o077:
                os.chmod(self.folder, 0o700)

    @contextlib.contextmanager
    def writing(self, track_id: str, version: str, *, use: bool = True) -> Iterator[BinaryIO | None]:
        """The partial download of this version, opened for appending and locked for the block;
        None when the download is there (a second download of the same track waits here for the
        first one), stamped as used only with `use`: a download no play asked for that waited on
        another one's must not mark it played.  A partial download left empty (the server refused)
        is deleted after it."""
        self._make_folder()
        part = self.folder / (self.path(track_id, version).name + PART)
        while True:
            out = part.open("ab")
            fcntl.flock(out, fcntl.LOCK_EX)
            if same_file(part, out):
                break
            out.close()  # deleted or finished by someone else while we waited: open it again
        with out:
            try:
                yield None if self.find(track_id, version, use=use) else out
            finally:
                if same_file(part, out) and os.fstat(out.fileno()).st_size == 0:
                    part.unlink(missing_ok=True)
                    (self.folder / (self.path(track_id, version).name + TAG)).unlink(missing_ok=True)

    def download(
        self,
        url: str,
        track_id: str,
        version: str,
        out: BinaryIO,
        *,
        timeout_s: float,
        chunk: int,
        refused_types: tuple[str, ...] = (),
    ) -> None:
        """The stream at `url` into `out` (from `writing`), within the bound (lan.transfer)."""
        tag = self.folder / (self.path(track_id, version).name + TAG)
        transfer.download(
            url, out, tag=tag, max_bytes=self.max_bytes, timeout_s=timeout_s, chunk=chunk,
            refused_types=refused_types,
        )  # fmt: skip

    def finish(self, track_id: str, version: str, *, use: bool = True, made: Path | None = None) -> Path:
        """The partial download (complete now, still locked by `writing`), or the whole file `made`
        elsewhere (`adopt`), becomes the download, stamped as used (`use`) or set aside (module
        doc), its file times those of its download.  The mark is made before the file is there, so
        no sweep sees it unmarked; the rename is one step and a sweep looks for the partial download
        before the download (`_drop_marks`), so none takes the mark for a leftover meanwhile."""
        final = self.path(track_id, version)
        mark = self.folder / (final.name + ASIDE)
        if not use:
            mark.touch()
        try:
            os.replace(made or self.folder / (final.name + PART), final)
        except OSError:
            if not use:  # no download for it to mark: a stray mark would outlive it
                mark.unlink(missing_ok=True)
            raise
        (self.folder / (final.name + TAG)).unlink(missing_ok=True)
        if use:
            self._use(final)
        return final

    def get(
        self,
        url: str,
        track_id: str,
        version: str,
        *,
        timeout_s: float,
        chunk: int = 256 * 1024,
        refused_types: tuple[str, ...] = (),
        use: bool = True,
    ) -> tuple[Path, bool]:
        """The download of this version of the track, made from `url` when there is none (resuming a
        partial one; a second caller waits for the first one's download), and whether it was made
        now (the caller sweeps then, keeping it).  DownloadError when it cannot be made.  Without
        `use` (not for a play) a download found keeps its time and one made now is set aside."""
        done = self.find(track_id, version, use=use)
        if done is not None:
            return done, False
        with self.writing(track_id, version, use=use) as out:
            if out is None:  # downloaded meanwhile (another fetch of the same track)
                return self.path(track_id, version), False
            self.download(
                url, track_id, version, out, timeout_s=timeout_s, chunk=chunk, refused_types=refused_types
            )
            return self.finish(track_id, version, use=use), True

    def adopt(
        self, made: Path, track_id: str, version: str, release: Callable[[], None] = lambda: None
    ) -> None:
        """The whole download `made` in another folder on the same file system (an OpenSubsonic
        analysis copy, staged out of this cache until its analysis is in the mirror) moves in, set
        aside, unless this version is here already (then `made` stays where it is).  Under the lock
        of a download of this version, so a play's download of it waits or is found.  The caller
        sweeps after.  A partial download of this version (a play's, cut short) is emptied, so
        `writing` deletes it: beside the whole file it would only take room.

        `made` is held (`hold`) from inside that lock until it is moved in, and only then is the
        caller's own hold on it let go (`release`): between the two a clear of its folder (a
        second sync, "delete everything") could delete it.  FileNotFoundError, with nothing here
        changed, when it is gone all the same (or was never held)."""
        with self.writing(track_id, version, use=False) as out, self.hold(made) as kept:
            release()
            if not kept:
                raise FileNotFoundError(f"{made} was deleted before it could be kept")
            if out is not None:
                out.truncate(0)
                self.finish(track_id, version, use=False, made=made)

    @contextlib.contextmanager
    def held(self, fetch: Callable[[], Path]) -> Iterator[Path]:
        """The file `fetch` gives (`get` it), held for the block (`hold`).  A sweep elsewhere may
        delete it between the fetch and the hold: it is fetched again then (DownloadError after 3
        tries)."""
        for _ in range(3):
            path = fetch()
            with self.hold(path) as kept:
                if kept:
                    yield path
                    return
        raise DownloadError("the download kept being deleted")
