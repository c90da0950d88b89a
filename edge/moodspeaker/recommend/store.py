"""Durable storage of profiles and feedback (SQLite, WAL, synchronous=FULL).

A feedback call returns only after its row is committed: a power cut right after a "like" must not
lose it.  Deleting really deletes: rows are removed with `secure_delete` (freed pages are zeroed),
and a profile's deletion or a retention prune that removed rows vacuums the file and truncates the
WAL (util/sqlitefiles.scrub), so the rows are not left readable in free pages or in the log; once
no feedback is left, neither is the count of events ever recorded (`_forget_count`).  A scrub a
reader of another program kept from emptying the log stays owed in the file (`scrub_due`) and is
done by the next deletion or retention prune, also one that deletes nothing.  The file and its
-wal/-shm hold listeners' moods and tastes: they are the owner's alone (0600).
"""

from __future__ import annotations

import json
import logging
import math
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodspeaker.recommend.profiles import ProfileError, check_profile_name
from moodspeaker.util.atomic import private_folder
from moodspeaker.util.sqlitefiles import owner_only, read_only, scrub_or_owe, scrub_owed

log = logging.getLogger(__name__)

#: 2: feedback.seen (what a "missing" event saw of the file, recommend.feedback.Mark), added to a
#: store of version 1 when it is opened (`_migrate`); version 1 reads the rows as before.
SCHEMA_VERSION = 2

#: How long a write waits for another program's, and a scrub's checkpoint for its readers (busy timeout).
BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (
    name TEXT PRIMARY KEY,
    strategy TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    track_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    mood TEXT NOT NULL,
    confidence REAL NOT NULL,
    valence REAL NOT NULL,
    arousal REAL NOT NULL,
    ts REAL NOT NULL,
    played_s REAL,
    corrected_mood TEXT,
    artist TEXT NOT NULL DEFAULT '',
    features TEXT,
    taste TEXT,
    seen TEXT
);
CREATE INDEX IF NOT EXISTS feedback_profile_ts ON feedback(profile, ts);
"""

_INSERT = (
    "INSERT INTO feedback(profile, track_id, kind, mood, confidence, valence, arousal, ts, "
    "played_s, corrected_mood, artist, features, taste, seen) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


@dataclass(frozen=True)
class FeedbackRow:
    """One stored feedback event (features are the raw Track scales, None when the track was unknown)."""

    profile: str
    track_id: str
    kind: str
    mood: str
    confidence: float
    valence: float
    arousal: float
    ts: float
    played_s: float | None = None
    corrected_mood: str | None = None
    artist: str = ""
    features: tuple[float, ...] | None = None
    taste: tuple[float, ...] | None = None
    seen: str | None = None  # of a "missing": the file as it was (recommend.feedback.Mark)


def _finite(x: float, what: str) -> float:
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number, got {x!r}")
    return v


class FeedbackStore:
    """Profiles and their feedback in one SQLite file; every method is safe to call from any thread."""

    def __init__(self, path: str | Path, *, durable: bool = True) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            private_folder(Path(self.path).parent)  # the data folder: the owner's alone when made here
            owner_only(self.path)  # before SQLite opens it: its -wal and -shm take the file's mode
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={'FULL' if durable else 'OFF'}")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
            _migrate(self._db)
        except sqlite3.DatabaseError as exc:
            raise ProfileError(f"feedback database {self.path} cannot be opened: {exc}") from exc

    @classmethod
    def copy_of(cls, path: str | Path) -> FeedbackStore:
        """The store at `path` copied into memory through a read-only connection (sqlitefiles.read_only)
        and brought to this release's schema there: what an export reads (service.privacy_data), which
        must not change the file, also one of an older release.  ProfileError when it cannot be read."""
        store = cls(":memory:")
        try:
            with read_only(path) as source:
                source.backup(store._db)
            store._db.executescript(_SCHEMA)
            _migrate(store._db)
        except sqlite3.DatabaseError as exc:
            store.close()
            raise ProfileError(f"feedback database {path} cannot be read: {exc}") from exc
        return store

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- profiles ---------------------------------------------------------------------------------
    def create_profile(self, name: str, now: float, strategy: str | None = None) -> bool:
        """Create a profile; False when it already existed (not an error: the call is idempotent)."""
        name = check_profile_name(name)
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO profiles(name, strategy, created) VALUES (?, ?, ?)",
                (name, strategy, now),
            )
            return cur.rowcount == 1

    def profiles(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT name FROM profiles ORDER BY created, name")]

    def has_profile(self, name: str) -> bool:
        with self._lock:
            return self._has(name)

    def _has(self, name: str) -> bool:
        """Whether a profile of that name exists (called with the lock held)."""
        return self._db.execute("SELECT 1 FROM profiles WHERE name=?", (name,)).fetchone() is not None

    def strategy(self, name: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT strategy FROM profiles WHERE name=?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_strategy(self, name: str, strategy: str | None) -> None:
        with self._lock:
            cur = self._db.execute("UPDATE profiles SET strategy=? WHERE name=?", (strategy, name))
        if cur.rowcount == 0:
            raise ProfileError(f"no profile named {name!r}")

    @property
    def scrub_due(self) -> bool:
        """A deletion's scrub is still owed: a reader kept the log busy (module docstring)."""
        with self._lock:
            return self.path != ":memory:" and scrub_owed(self._db) is not None

    def _scrub(self) -> None:
        """Scrub the file and its log (called with the lock held, after a deletion or for a debt)."""
        if self.path != ":memory:":
            scrub_or_owe(self._db, self.path)

    def delete_profile(self, name: str) -> int:
        """Delete a profile and all its feedback for good; returns how many feedback rows went.  Gone
        from the file and its log too unless `scrub_due` says a reader kept the log busy."""
        with self._lock:
            n = self._db.execute("SELECT COUNT(*) FROM feedback WHERE profile=?", (name,)).fetchone()[0]
            cur = self._db.execute("DELETE FROM profiles WHERE name=?", (name,))
            if cur.rowcount == 0:
                raise ProfileError(f"no profile named {name!r}")
            self._db.execute("DELETE FROM feedback WHERE profile=?", (name,))
            self._forget_count()
            self._scrub()
        return int(n)

    # -- feedback ---------------------------------------------------------------------------------
    def add(self, row: FeedbackRow) -> None:
        """Append one event and commit it (autocommit: the row is on disk when this returns); refused
        (ProfileError) when its profile does not exist, also one another connection just deleted."""
        self._insert([row])

    def add_all(self, rows: Sequence[FeedbackRow]) -> None:
        """Append events in one commit, all or none (`add` for many: one write to the disk, not one
        per row); refused as `add` is, with none of them stored."""
        if rows:
            self._insert(rows)

    def _insert(self, rows: Sequence[FeedbackRow]) -> None:
        """`add` and `add_all`: a row whose profile does not exist (none of that name, or one another
        connection deleted since it was read) fails the foreign key: that is a ProfileError naming the
        profile, the events not recorded, whether one or many were written."""
        values = [_values(row) for row in rows]
        with self._lock:
            try:
                if len(values) == 1:
                    self._db.execute(_INSERT, values[0])
                else:
                    self._db.execute("BEGIN IMMEDIATE")
                    try:
                        self._db.executemany(_INSERT, values)
                        self._db.execute("COMMIT")
                    except BaseException:
                        if self._db.in_transaction:  # a failed COMMIT may have rolled back already
                            self._db.execute("ROLLBACK")
                        raise
            except sqlite3.IntegrityError as exc:  # the profile's foreign key: none of that name
                gone = [r for r in rows if not self._has(r.profile)]
                if not gone:
                    raise
                raise ProfileError(
                    f"no profile named {gone[0].profile!r}: {_not_recorded(gone[0], len(rows))}"
                ) from exc

    def events(self, profile: str | None = None) -> Iterator[FeedbackRow]:
        """Events in time order (all profiles, or one)."""
        sql = (
            "SELECT profile, track_id, kind, mood, confidence, valence, arousal, ts, played_s, "
            "corrected_mood, artist, features, taste, seen FROM feedback"
        )
        args: tuple[Any, ...] = ()
        if profile is not None:
            sql += " WHERE profile=?"
            args = (profile,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY ts, id", args).fetchall()
        for r in rows:
            yield FeedbackRow(
                profile=r[0],
                track_id=r[1],
                kind=r[2],
                mood=r[3],
                confidence=r[4],
                valence=r[5],
                arousal=r[6],
                ts=r[7],
                played_s=r[8],
                corrected_mood=r[9],
                artist=r[10],
                features=None if r[11] is None else tuple(json.loads(r[11])),
                taste=None if r[12] is None else tuple(_nan(x) for x in json.loads(r[12])),
                seen=r[13],
            )

    def prune(self, older_than: float) -> int:
        """Delete feedback older than a time (the privacy retention setting); when rows went, or a
        scrub is still owed (`scrub_due`), the file and its log are scrubbed (module docstring)."""
        with self._lock:
            gone = int(self._db.execute("DELETE FROM feedback WHERE ts < ?", (older_than,)).rowcount)
            if gone:
                self._forget_count()
            if gone or (self.path != ":memory:" and scrub_owed(self._db) is not None):
                self._scrub()
        return gone

    def _forget_count(self) -> None:
        """With no feedback left, its AUTOINCREMENT counter goes too (called with the lock held, before
        the scrub): sqlite_sequence's `feedback|N` said how many events were ever recorded, after all of
        them were deleted.  The next event is numbered 1 again; nothing reads the numbers but the order
        of events of the same time."""
        if self._db.execute("SELECT 1 FROM feedback LIMIT 1").fetchone() is None:
            self._db.execute("DELETE FROM sqlite_sequence WHERE name='feedback'")

    def export(self, profile: str) -> dict[str, Any]:
        """Everything stored about a profile, as JSON-ready data."""
        if not self.has_profile(profile):
            raise ProfileError(f"no profile named {profile!r}")
        with self._lock:
            created = self._db.execute("SELECT created FROM profiles WHERE name=?", (profile,)).fetchone()[0]
        events = []
        for e in self.events(profile):
            d = {k: v for k, v in e.__dict__.items() if k != "profile"}
            d["features"] = list(e.features) if e.features is not None else None
            d["taste"] = [None if math.isnan(x) else x for x in e.taste] if e.taste is not None else None
            events.append(d)
        return {
            "profile": profile,
            "strategy": self.strategy(profile),
            "created": created,
            "feedback": events,
        }


def _migrate(db: sqlite3.Connection) -> None:
    """A store of an older version brought to SCHEMA_VERSION (columns added; rows kept as they are)."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(feedback)")}
    if "seen" not in columns:
        try:
            db.execute("ALTER TABLE feedback ADD COLUMN seen TEXT")
        except sqlite3.OperationalError:  # another program opening the store added it first
            if "seen" not in {r[1] for r in db.execute("PRAGMA table_info(feedback)")}:
                raise
    db.execute(
        "INSERT INTO meta(key, value) VALUES ('schema', ?) ON CONFLICT(key) DO UPDATE"
        " SET value=excluded.value WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
        (str(SCHEMA_VERSION),),
    )


def _values(row: FeedbackRow) -> tuple[Any, ...]:
    """The row as the columns of `_INSERT` (ValueError for a number that is not finite)."""
    return (
        row.profile,
        row.track_id,
        row.kind,
        row.mood,
        _finite(row.confidence, "confidence"),
        _finite(row.valence, "valence"),
        _finite(row.arousal, "arousal"),
        _finite(row.ts, "time"),
        None if row.played_s is None else _finite(row.played_s, "played_s"),
        row.corrected_mood,
        row.artist,
        None if row.features is None else json.dumps([float(x) for x in row.features]),
        None if row.taste is None else json.dumps([_json_float(x) for x in row.taste]),
        row.seen,
    )


def _not_recorded(row: FeedbackRow, written: int) -> str:
    """What a refusal of `row` (and the others written with it, `written` in all) left unrecorded."""
    if written == 1:
        return f"the {row.kind} was not recorded"
    others = "the other event" if written == 2 else f"the {written - 1} other events"
    return f"its {row.kind} and {others} written with it were not recorded"


def _json_float(x: float) -> float | None:
    return None if not math.isfinite(float(x)) else float(x)


def _nan(x: float | None) -> float:
    return math.nan if x is None else float(x)
