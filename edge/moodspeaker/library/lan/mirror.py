"""The reading half every remote library shares: a local mirror index answers like LibraryIndex.

A speaker keeps working from this mirror when the server is gone, so reading never touches the network.
The mirror is made by the first sync, not when the remote is opened: the service opens every
`library.servers` entry at start, and a mistyped URL there left an empty mirror behind that `library
stats` listed from then on.  A first sync that fails removes what it made (`sources.sync_remote`, the
one sync path of `library sync` and the service); a later failure keeps the last good copy.  Which
of the two a sync is, and the removal, are decided under the sync's lock (`_one_sync`'s `guard`): a
sync that waited through another's first sync is no first sync, and its failure keeps that copy.

A download that failed (a library server's track, an OpenSubsonic song) is noted in the mirror's
problems (kind `STREAM`, with the mirror's id of the track and when: `_note_failed_download`) until
the track downloads (`_downloaded`): a record of when the track was to be played, as the downloads'
file times are (audiocache).  So "delete everything" and the privacy retention forget those notes too
(`forget_failed_downloads`, from service.plays), with `secure_delete` and a scrub as the speaker's own
databases (util.sqlitefiles), and the mirror's files are the owner's alone.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from moodspeaker.library.batch import Batch
from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex
from moodspeaker.library.lan.cachefolder import same_file
from moodspeaker.library.lan.synclock import SYNC_LOCK, LanError, WaitCheck, delete_mirror, lock_sync
from moodspeaker.library.track import Track
from moodspeaker.util.sqlitefiles import owner_only, scrub_or_owe, scrub_owed

# the sync lock's names too (synclock is their home): the clients and the tests take them from here
__all__ = ["ANSWERED", "SCRUB_DUE", "STREAM", "SYNC_LOCK", "LanError", "MirroredLibrary", "SyncGuard"]
__all__ += ["WaitCheck", "delete_mirror"]

log = logging.getLogger(__name__)

#: meta key of the mirror: when a sync last succeeded (set with the outcome, see client.note_sync)
ANSWERED = "answered_at"
#: kind of the mirror's problems noting a download that failed (client.LanLibrary.fetch), with when
STREAM = "stream"
#: meta key of the mirror: a deletion left bytes a scrub must still take from its files (`_scrub_later`);
#: util.sqlitefiles.SCRUB_DUE, whose scrub_or_owe keeps and pays it
SCRUB_DUE = "scrub_due"
#: a sync's caller's own part of it, run under the sync's lock (`_one_sync`): entered once the lock
#: is held, left (with the sync's exception, if any) before it is let go
SyncGuard = Callable[[], AbstractContextManager[object]]
#: how long the deletion waits for a sync writing the mirror (as the library database waits)
_BUSY_S = 30.0


class MirroredLibrary:
    """Subclasses call `__init__` with the mirror's folder, use `self.cache` (the mirror, made on
    first use) to sync (inside `_one_sync`), and add syncing and streaming."""

    #: the server as the mirror names it (each note's path starts with it); set by the subclass
    source: str

    def __init__(self, root: Path) -> None:
        self.root = root
        self._cache: LibraryIndex | None = None
        self._lock = threading.Lock()  # opening, closing and reading the mirror (the service reads
        # on its planning threads while a rescan syncs, and a failed first sync removes the mirror)
        self._file: BinaryIO | None = None  # the open mirror's file, to tell it was deleted (`_current`)
        self._users: dict[int, int] = {}  # by id(): a mirror's users in progress (`_using`)
        self._retired: list[LibraryIndex] = []  # shut while in use: closed by their last user
        #: a note of a failed download was deleted without a scrub (the track downloaded since): its
        #: bytes stay in the file's free space and log until the next `forget_failed_downloads`
        self.scrub_due = False

    @property
    def _db(self) -> Path:
        return self.root / "index.db"

    @property
    def cache(self) -> LibraryIndex:
        """The mirror, made (folder and database) when it does not exist yet: only syncing calls this."""
        with self._lock:
            return self._made()

    def _made(self) -> LibraryIndex:
        """`cache`, the lock held."""
        while (cache := self._current()) is None:
            self.root.mkdir(parents=True, exist_ok=True)
            owner_only(self._db)  # before SQLite opens it: its -wal and -shm take its mode
            if not self._db.is_file():  # owner_only could not make it: SQLite's own open says why
                LibraryIndex(self._db).close()
            self._cache = self._open()  # (None: deleted again meanwhile, made once more)
        return cache

    @contextlib.contextmanager
    def _using(self) -> Iterator[LibraryIndex | None]:
        """The mirror on disk (None when there is none: never made for this), kept open for the
        block.  For a play's thread (`_note_failed_download`, `_downloaded`), which holds no sync
        lock: a use that found the file deleted (`_current`) or a failed first sync's `discard`
        closed the index it had taken and not used yet, and the play failed with
        sqlite3.ProgrammingError.  Shut meanwhile, it is closed when its last user leaves
        (`_shut`); what the user wrote went to the deleted copy."""
        with self._lock:
            cache = self._cache if self._reading() else None
            if cache is not None:
                self._users[id(cache)] = self._users.get(id(cache), 0) + 1
        if cache is None:
            yield None
            return
        try:
            yield cache
        finally:
            with self._lock:
                left = self._users.pop(id(cache)) - 1
                if left:
                    self._users[id(cache)] = left
                last = not left and any(c is cache for c in self._retired)
                if last:
                    self._retired = [c for c in self._retired if c is not cache]
            if last:
                cache.close()

    def _open(self) -> LibraryIndex | None:
        """The mirror's database opened, the lock held, with its file (`_file`, held open: its inode
        is no other file's meanwhile, so `_current` can tell a file deleted or replaced since); None
        when it is not there (deleted: another process's failed first sync, a prune).  The file is
        opened first, and checked to be the one on disk once SQLite opened the database: opened
        after, a file deleted and made anew in between was taken for the one SQLite had open."""
        try:
            file = self._db.open("rb")
        except FileNotFoundError:
            return None
        try:
            cache = LibraryIndex(self._db)
        except BaseException:
            file.close()
            raise
        if not same_file(self._db, file):
            cache.close()
            file.close()
            return None
        self._file = file
        return cache

    def _current(self) -> LibraryIndex | None:
        """The open mirror, the lock held, when its file is still the one on disk; one another
        process deleted or replaced since (its failed first sync removed the folder, a prune, a sync
        made it anew) is shut first, so what reads or writes next takes the mirror on disk: read
        on, the deleted copy hid what that process's syncs wrote (until this one's next sync
        looked), listed a mirror deleted for good, or failed (SQLite's disk I/O error), and a sync
        wrote its whole result where no other process saw it, gone at the restart.  (A stat on
        each use; closed now, or by its last user: `_using`.)"""
        if self._cache is None or (self._file is not None and same_file(self._db, self._file)):
            return self._cache
        cache = self._shut()
        log.info("%s: the mirror was removed or replaced by another process; opened again", self.source)
        if cache is not None:
            cache.close()
        return None

    def _shut(self) -> LibraryIndex | None:
        """Forget the open mirror, the lock held; returns it for the caller to close, or None when a
        user is in progress (`_using`: its last user closes it)."""
        cache, self._cache = self._cache, None
        if self._file is not None:
            self._file.close()
            self._file = None
        if cache is not None and self._users.get(id(cache)):
            self._retired.append(cache)
            return None
        return cache

    def has_mirror(self) -> bool:
        """A mirror exists (open here and still on disk, or on disk from an earlier run)."""
        with self._lock:
            return self._current() is not None or self._db.is_file()

    def ever_answered(self) -> bool:
        """A sync has succeeded once (mirrors from before this mark count when they hold tracks)."""
        if not self.has_mirror():
            return False
        return self.cache.meta(ANSWERED) is not None or self.cache.stats()["tracks"] > 0

    def close(self) -> None:
        with self._lock:
            cache = self._shut()
        if cache is not None:
            cache.close()

    def discard(self) -> None:
        """Close the mirror and delete its folder (a first sync that failed); the object stays usable
        (empty until a sync makes the mirror again)."""
        with self._lock:
            cache = self._shut()
            if cache is not None:
                cache.close()
            shutil.rmtree(self.root, ignore_errors=True)

    @contextlib.contextmanager
    def _one_sync(self, guard: SyncGuard | None = None, waiting: WaitCheck | None = None) -> Iterator[None]:
        """A sync of this server, one at a time in this process and any other on the same mirror
        (the service's rescan beside a `library sync` run by hand): an exclusive flock on a file in
        the mirror's folder, waited for.  Two OpenSubsonic syncs at once each read the fingerprints
        and refusals (subsonicsongs.VERSIONS, REFUSED), added their own songs and wrote the whole
        back, the last one dropping the other's (those songs analysed again, their copies swept as
        not mirrored); and a sync's clear of the staging deleted the other's download between its
        end and its hold (downloaded again).  A library server's second whole copy deleted the
        first one's staging database while it was written (client.LanLibrary: the first sync failed
        with an SQLite error).  The mirror's folder may be deleted meanwhile (a first
        sync that failed: sources.sync_remote): a lock taken on a deleted file is taken again.

        `guard` (sources.sync_remote's) wraps the sync under the lock: whether the server ever
        answered is only known once no other sync can still make its first mirror, and a failed
        first sync's mirror may only be removed before the next sync can start on it.  `waiting`
        is called while another sync holds the lock (synclock.lock_sync), and may raise to give
        up.  A mirror open here whose file another process deleted meanwhile is not the one synced:
        each use takes the one on disk (`_current`)."""
        while True:
            lock = lock_sync(self.root, self.source, waiting)
            if same_file(self.root / SYNC_LOCK, lock):
                break
            lock.close()
        with lock, guard() if guard is not None else contextlib.nullcontext():
            yield

    _EMPTY: tuple[list[str], np.ndarray] = ([], np.zeros((0, len(FEATURE_COLUMNS)), dtype=np.float32))

    def tracks(self) -> list[Track]:
        with self._lock:
            return self._cache.tracks() if self._reading() and self._cache else []

    def get(self, track_id: str) -> Track | None:
        with self._lock:
            return self._cache.get(track_id) if self._reading() and self._cache else None

    def get_many(self, ids: Iterable[str]) -> dict[str, Track]:
        with self._lock:
            return self._cache.get_many(ids) if self._reading() and self._cache else {}

    def feature_matrix(self) -> tuple[list[str], np.ndarray]:
        with self._lock:
            # the same empty pair each time: the recommender keeps its arrays while nothing changed
            return self._cache.feature_matrix() if self._reading() and self._cache else self._EMPTY

    def query(
        self, target: Mapping[str, float], k: int = 10, weights: Mapping[str, float] | None = None
    ) -> list[tuple[Track, float]]:
        with self._lock:
            return self._cache.query(target, k, weights) if self._reading() and self._cache else []

    def _reading(self) -> bool:
        """Open the mirror on disk (a restart: its tracks play without the server; one made anew
        by another process: `_current`); never make one for reading.  Called with the lock held."""
        while self._current() is None and self._db.is_file():
            owner_only(self._db)  # a mirror made before is tightened too
            self._cache = self._open()  # (None: replaced meanwhile, opened once more)
        return self._cache is not None

    def _note_failed_download(self, track_id: str, error: str) -> None:
        """The download of the mirror's track `track_id` failed (`error`): noted until it downloads
        (module doc); `library stats` lists it with the mirror's other problems."""
        with self._using() as cache:
            if cache is None:  # (the mirror was deleted meanwhile: nothing to note it in)
                return
            with cache.batch() as b:
                b.problem(f"{self.source}/{track_id}", STREAM, error)

    def _downloaded(self, track_id: str) -> None:
        """The track downloaded: a failure noted before (the server was off) is over.  Its note is
        deleted, and scrubbed at the next `forget_failed_downloads` (not here: a play waits on this)."""
        noted = f"{self.source}/{track_id}"
        with self._using() as cache:
            if cache is not None and cache.db.query("SELECT 1 FROM problems WHERE path = ?", (noted,)):
                with cache.batch() as b:  # (only then: a batch moves the mirror's change counter)
                    b.clear_problem(noted)
                    self._scrub_later(b)  # it said when the track was to be played

    def _scrub_later(self, b: Batch) -> None:
        """`b` deletes what must not stay readable in the mirror's files: scrubbed at the next
        `forget_failed_downloads` (or the sync's `_scrub_if_due`), by this process or the next one.
        Kept in the mirror too (SCRUB_DUE, in `b`'s transaction), not in this object only: a
        process that stopped before the scrub (a power cut before the hourly retention, a `library
        sync` run by hand whose scrub failed) took the debt with it, and the next one's retention
        found nothing to delete and did not scrub."""
        b.set_meta(SCRUB_DUE, str(b.change))
        self.scrub_due = True

    def forget_failed_downloads(self, before: float | None = None) -> int:
        """The privacy retention (`before`, a `time.time()`) or "delete everything" (None): the notes
        of downloads that failed before `before` (all of them) are deleted (module doc), and the file
        and its log scrubbed of them (also of notes the tracks' downloads deleted since; "delete
        everything" always scrubs: such leftovers may be from an earlier run).  Through a connection
        of its own (SQLite's locks order it with a sync; the mirror's change counter stays: nothing
        a server sent changed).  Returns how many notes went; sqlite3.Error or OSError propagates."""
        if not self._db.is_file():
            return 0
        owner_only(self._db)
        with contextlib.closing(sqlite3.connect(self._db, timeout=_BUSY_S, isolation_level=None)) as db:
            db.execute("PRAGMA secure_delete=ON")
            cut = "" if before is None else " AND seen_at < ?"
            args: tuple[object, ...] = (STREAM,) if before is None else (STREAM, before)
            gone = int(db.execute(f"DELETE FROM problems WHERE kind = ?{cut}", args).rowcount)
            if gone or before is None or self.scrub_due or scrub_owed(db) is not None:
                self.scrub_due = False
                # a debt (SCRUB_DUE) paid only if still the one read, or owed anew with a fresh value:
                # another process's partial scrub in between is not taken for this one's success
                if not scrub_or_owe(db, f"{self.source}: its mirror {self._db}"):
                    self.scrub_due = True  # a reader kept the log busy: the next sync or retention
        return gone

    def _scrub_if_due(self) -> None:
        """Scrub the mirror's files now when a deletion left bytes to scrub (`scrub_due`): a sync run
        by hand exits before any retention (no note is from before 1970: none deleted).  Also one
        an earlier process owed (`_scrub_later`)."""
        if not self.scrub_due and self.cache.meta(SCRUB_DUE) is None:
            return
        try:
            self.forget_failed_downloads(0.0)
        except (OSError, sqlite3.Error) as exc:
            self.scrub_due = True  # the next retention does it
            log.warning("%s: deleted data not scrubbed yet: %s", self.source, exc)

    def failed_downloads(self) -> list[dict[str, object]]:
        """The notes of downloads that failed (for the data export): the track, when, and why."""
        if not self._db.is_file():
            return []
        with contextlib.closing(sqlite3.connect(self._db, timeout=_BUSY_S)) as db:
            rows = db.execute(
                "SELECT path, seen_at, reason FROM problems WHERE kind = ? ORDER BY seen_at", (STREAM,)
            ).fetchall()
        return [{"track_id": p.rpartition("/")[2], "failed_at": at, "reason": why} for p, at, why in rows]
