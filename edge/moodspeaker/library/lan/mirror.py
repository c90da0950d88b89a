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
import fcntl
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from moodspeaker.library.batch import Batch
from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex
from moodspeaker.library.lan.cachefolder import same_file
from moodspeaker.library.track import Track
from moodspeaker.util.sqlitefiles import owner_only, scrub_or_owe, scrub_owed

log = logging.getLogger(__name__)

#: in the mirror's folder: held by the sync in progress (`_one_sync`)
SYNC_LOCK = "sync.lock"
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
#: a sync's caller's check while the sync waits for another one's lock (`_lock_file`): raises to give
#: up (the service's rescan: its progress callback raises ScanStoppedError once the speaker stops)
WaitCheck = Callable[[], object]
#: how often a sync with a WaitCheck tries the lock again meanwhile
_WAIT_POLL_S = 0.2
#: how long the deletion waits for a sync writing the mirror (as the library database waits)
_BUSY_S = 30.0


class LanError(Exception):
    """The server could not be reached or answered with something that is not the protocol, or its
    mirror cannot be synced here (`_lock_file`).  Here, not in client.py (which gives it too): the
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


def _wait_for(lock: BinaryIO, waiting: WaitCheck | None) -> None:
    """Lock `lock` (exclusive), which another sync holds: blocked in flock without `waiting`, else
    polled, `waiting` called before each try (`_lock_file`)."""
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
        self._file: BinaryIO | None = None  # the open mirror's file, to tell it was deleted (`_one_sync`)
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
        if self._cache is None:
            self.root.mkdir(parents=True, exist_ok=True)
            owner_only(self._db)  # before SQLite opens it: its -wal and -shm take its mode
            self._cache = self._open()
        return self._cache

    @contextlib.contextmanager
    def _using(self) -> Iterator[LibraryIndex]:
        """`cache`, kept open for the block.  For a play's thread (`_note_failed_download`,
        `_downloaded`), which holds no sync lock: a sync's `_drop_if_deleted` or a failed first
        sync's `discard` (another process deleted the mirror) closed the index it had taken and
        not used yet, and the play failed with sqlite3.ProgrammingError.  Shut meanwhile, it is
        closed when its last user leaves (`_shut`); what the user wrote went to the deleted copy."""
        with self._lock:
            cache = self._made()
            self._users[id(cache)] = self._users.get(id(cache), 0) + 1
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

    def _open(self) -> LibraryIndex:
        """The mirror's database opened (made when missing), the lock held."""
        cache = LibraryIndex(self._db)
        with contextlib.suppress(FileNotFoundError):  # (deleted already: the next sync's look says so)
            self._file = self._db.open("rb")  # held open: its inode is no other file's meanwhile
        return cache

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
        """A mirror exists (open here, or on disk from an earlier run)."""
        return self._cache is not None or self._db.is_file()

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
        is called while another sync holds the lock (`_lock_file`), and may raise to give up."""
        while True:
            lock = self._lock_file(waiting)
            if same_file(self.root / SYNC_LOCK, lock):
                break
            lock.close()
        with lock:
            self._drop_if_deleted()
            with guard() if guard is not None else contextlib.nullcontext():
                yield

    def _lock_file(self, waiting: WaitCheck | None = None) -> BinaryIO:
        """The sync's lock file, locked (waited for).  LanError naming the folder when it cannot be
        made or locked: flock fails with ENOLCK on an NFS mount without lockd, and an OSError
        escaped the sync as a traceback that stopped the rescan before the other servers synced
        (sources.sync_remote makes it a SyncError).  With `waiting`, the wait polls the lock and
        calls it before each try, and what it raises ends the wait: a blocking flock could not be
        interrupted by the service's stop, which gave up on its join timeout while the rescan
        waited for a long `library sync` run by hand."""
        path = self.root / SYNC_LOCK
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            lock = path.open("ab")
        except OSError as exc:
            raise LanError(f"{self.source}: cannot write its mirror folder {self.root}: {exc}") from exc
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("%s: waiting for another sync of this server to finish", self.source)
                _wait_for(lock, waiting)
        except OSError as exc:
            lock.close()
            raise LanError(
                f"{self.source}: cannot lock {path} ({exc}); a network file system without file"
                " locks? keep the speaker's data folder on local storage"
            ) from exc
        except BaseException:  # given up (`waiting`), or interrupted
            lock.close()
            raise
        return lock

    def _drop_if_deleted(self) -> None:
        """Under the sync's lock: a mirror open here whose file was deleted since (another process's
        first sync failed and removed the folder; this one read the mirror while it was made) is
        closed, so the sync judges and writes the mirror on disk (made anew), not a deleted file
        that no other process sees and that is gone at the restart."""
        with self._lock:
            if self._cache is None or (self._file is not None and same_file(self._db, self._file)):
                return
            cache = self._shut()
            log.info("%s: the mirror was removed by another process; opened again", self.source)
        if cache is not None:
            cache.close()

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
        """Open a mirror that exists on disk (a restart: its tracks play without the server); never
        make one for reading.  Called with the lock held."""
        if self._cache is None and self._db.is_file():
            owner_only(self._db)  # a mirror made before is tightened too
            self._cache = self._open()
        return self._cache is not None

    def _note_failed_download(self, track_id: str, error: str) -> None:
        """The download of the mirror's track `track_id` failed (`error`): noted until it downloads
        (module doc); `library stats` lists it with the mirror's other problems."""
        with self._using() as cache, cache.batch() as b:
            b.problem(f"{self.source}/{track_id}", STREAM, error)

    def _downloaded(self, track_id: str) -> None:
        """The track downloaded: a failure noted before (the server was off) is over.  Its note is
        deleted, and scrubbed at the next `forget_failed_downloads` (not here: a play waits on this)."""
        noted = f"{self.source}/{track_id}"
        with self._using() as cache:
            if cache.db.query("SELECT 1 FROM problems WHERE path = ?", (noted,)):
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
