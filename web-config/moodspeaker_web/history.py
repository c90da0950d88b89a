"""Mood history for the page's plot, the data export and retention (the web package owns it; the table
and its prune are shared with the service, which prunes the file while no page runs in its process:
moodspeaker.service.mood_history).

The service publishes `MoodObserved` every capture; this store keeps at most one row per
`min_spacing_s` (plus every change of mood), which is plenty for a plot of the last hour and keeps
30 days at a 1 s capture interval around 260k small rows.  Only numbers and mood names are stored,
never anything from a frame.  Writes happen on a small writer thread, because EventBus subscribers
must return at once.

"Delete everything" clears the file in the service (moodspeaker.service.mood_history.clear_file, page
or no page), which holds this store's `_clearing` through it: the samples queued before are dropped
by the writer, not written after the clear, each sample carrying the store's `generation` from when
it was queued; and none is written in between.  The end of a reading (MoodObserved `ended`: the
deletion's, the camera switched off, a replay that ran out) is no sample: nothing was read.

What is deleted must not be readable in the files afterwards: `secure_delete` zeroes the deleted rows,
but every sample ever added also sits in the write-ahead log (one page image per insert) until that
is overwritten, and copies left by page rebuilds lie in pages' unused space; so a prune that deleted
rows vacuums and truncates the log too (what the service's clear does).  The files hold mood readings:
they are the owner's alone (0600), whatever the umask, also when an older file was readable by others.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from moodspeaker.service.events import Event, EventBus, MoodObserved
from moodspeaker.service.mood_history import BUSY_TIMEOUT_S, COLUMNS, SCHEMA, kept_here, let_go, prune
from moodspeaker.util.atomic import private_folder
from moodspeaker.util.sqlitefiles import owner_only

log = logging.getLogger(__name__)

_COLUMNS = COLUMNS


class MoodHistory:
    """SQLite (WAL) table of mood samples; thread-safe."""

    def __init__(self, path: Path, *, min_spacing_s: float = 5.0) -> None:
        self.path = Path(path)
        private_folder(self.path.parent)  # the data folder: the owner's alone when made here
        self.min_spacing_s = min_spacing_s
        self._lock = threading.Lock()
        owner_only(self.path)  # before SQLite opens it: its -wal and -shm take the file's mode
        # timeout: the service's retention may be pruning the file as the page starts (mood_history)
        self._db = sqlite3.connect(
            str(self.path), check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        # Rows removed by retention are overwritten, not left readable in free pages.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(SCHEMA)
        self._last: tuple[float, str] | None = None
        self._generation = 0  # how many times the file was cleared while this store had it open
        self._open = True
        # the service's retention leaves the file to this one's, and its clear tells it (mood_history)
        kept_here(self.path, self._clearing)

    @property
    def generation(self) -> int:
        """Changes with each clear of the file: a sample queued before it is not stored after (`add`)."""
        return self._generation

    @contextlib.contextmanager
    def _clearing(self) -> Iterator[None]:
        """Held through the service's clear of the file (mood_history.clear_file): nothing is written
        meanwhile, and what was queued before it, of an older `generation`, is not stored after."""
        with self._lock:
            self._generation += 1
            self._last = None
            yield

    def add(self, sample: MoodObserved, *, generation: int | None = None) -> bool:
        """Store one sample unless it is within `min_spacing_s` of the last and the mood is the same,
        or it was queued with a `generation` the file's clear has ended since (a reading from before
        "delete everything", written after it: dropped)."""
        ts, mood = sample.ts, sample.mood
        confidence, valence, arousal, face = sample.confidence, sample.valence, sample.arousal, sample.face
        with self._lock:
            if generation is not None and generation != self._generation:
                return False
            if self._last is not None:
                last_ts, last_mood = self._last
                if mood == last_mood and 0 <= ts - last_ts < self.min_spacing_s:
                    return False
            self._db.execute(
                "INSERT INTO mood VALUES (?, ?, ?, ?, ?, ?)",
                (float(ts), str(mood)[:32], float(confidence), float(valence), float(arousal), int(face)),
            )
            self._last = (ts, mood)
            return True

    def since(self, ts: float, limit: int = 5000) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM (SELECT * FROM mood WHERE ts >= ? ORDER BY ts DESC LIMIT ?) ORDER BY ts",
                (ts, limit),
            ).fetchall()
        return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]

    def export(self) -> list[dict[str, Any]]:
        return self.since(float("-inf"), limit=10_000_000)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM mood").fetchone()[0])

    def prune(self, before: float) -> int:
        """Delete samples older than `before` (retention); returns how many went.  When some went (or
        a scrub is still owed, as the service's clear can leave one: mood_history.clear_file), the file
        is compacted and the log emptied, so they are not left in either (module docstring)."""
        with self._lock:
            return prune(self._db, before)

    def close(self) -> None:
        with self._lock, contextlib.suppress(sqlite3.Error):
            if self._open:
                self._open = False
                let_go(self.path, self._clearing)
            self._db.close()


class HistoryRecorder:
    """Subscribes to the bus, queues mood samples and writes them; also runs retention housekeeping.

    `housekeeping` is called on the writer thread at start and then every `housekeeping_s`.
    """

    def __init__(
        self,
        history: MoodHistory,
        bus: EventBus,
        *,
        housekeeping: Callable[[], None] | None = None,
        housekeeping_s: float = 3600.0,
    ) -> None:
        self.history = history
        # each sample with the history's generation when it came: one from before a clear is dropped
        self._queue: queue.Queue[tuple[MoodObserved, int] | None] = queue.Queue(maxsize=1000)
        self._housekeeping = housekeeping
        self._housekeeping_s = housekeeping_s
        self._unsubscribe = bus.subscribe(self._on_event)
        self._thread = threading.Thread(target=self._run, name="web-history", daemon=True)
        self._thread.start()

    def _on_event(self, event: Event) -> None:
        if isinstance(event, MoodObserved) and not event.ended:  # a reading's end: no point to plot
            with contextlib.suppress(queue.Full):  # a stalled disk drops plot points, never blocks
                self._queue.put_nowait((event, self.history.generation))

    def _tidy(self) -> None:
        if self._housekeeping is None:
            return
        try:
            self._housekeeping()
        except Exception:
            log.exception("retention housekeeping failed; will try again later")

    def _run(self) -> None:
        self._tidy()
        while True:
            try:
                queued = self._queue.get(timeout=self._housekeeping_s)
            except queue.Empty:
                self._tidy()
                continue
            if queued is None:
                self._queue.task_done()
                return
            try:
                self.history.add(queued[0], generation=queued[1])
            except sqlite3.Error:
                log.exception("could not store a mood sample in %s", self.history.path)
            finally:
                self._queue.task_done()

    def flush(self, timeout: float = 2.0) -> None:
        """Wait until queued samples are written (export and tests use it)."""
        waited = threading.Event()
        for _ in range(int(timeout / 0.01)):
            if self._queue.unfinished_tasks == 0:
                return
            waited.wait(0.01)

    def stop(self) -> None:
        self._unsubscribe()
        self._queue.put(None)
        self._thread.join(timeout=5)
