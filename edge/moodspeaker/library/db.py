"""The library database: SQLite in WAL mode with numbered schema migrations.

WAL plus one transaction per batch means a crash or `kill -9` mid-scan leaves the last committed
batch intact and never a half-written one; the next scan resumes from the rows still `pending`.
Migrations are a list: the database's `PRAGMA user_version` says how many have been applied.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from moodspeaker.util.atomic import private_folder
from moodspeaker.util.program import command
from moodspeaker.util.sqlitefiles import owner_only

log = logging.getLogger(__name__)

MIGRATIONS: tuple[str, ...] = (
    # 1: tracks with tags, file identity, status and the Track features; problems; tombstones.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('change_counter', '0');
    CREATE TABLE tracks (
        id TEXT PRIMARY KEY,
        location TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL DEFAULT 'local',
        title TEXT NOT NULL DEFAULT '',
        artist TEXT NOT NULL DEFAULT '',
        album TEXT NOT NULL DEFAULT '',
        duration_s REAL NOT NULL DEFAULT 0,
        replaygain_db REAL,
        size INTEGER NOT NULL DEFAULT 0,
        mtime_ns INTEGER NOT NULL DEFAULT 0,
        content_hash TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'analysed', 'failed')),
        error TEXT NOT NULL DEFAULT '',
        valence REAL, arousal REAL, energy REAL, tempo REAL, loudness_lufs REAL,
        mode INTEGER, brightness REAL,
        extra TEXT NOT NULL DEFAULT '{}',
        analysed_at REAL,
        changed INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX tracks_status ON tracks(status);
    CREATE INDEX tracks_changed ON tracks(changed);
    CREATE INDEX tracks_hash ON tracks(content_hash);
    CREATE TABLE features (id TEXT PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE, data TEXT NOT NULL);
    CREATE TABLE problems (
        path TEXT PRIMARY KEY, kind TEXT NOT NULL, reason TEXT NOT NULL, seen_at REAL NOT NULL
    );
    CREATE TABLE removed (id TEXT PRIMARY KEY, changed INTEGER NOT NULL);
    CREATE INDEX removed_changed ON removed(changed);
    """,
    # 2: status `short`: files kept out as shorter than library.min_track_s were `failed` rows told
    # apart by the start of their reason's wording.  SQLite cannot change a CHECK constraint in place,
    # so the table is rebuilt (https://sqlite.org/lang_altertable.html#otheralter; `migrate` turns
    # foreign keys off around it, or dropping the old table would empty `features` by its cascade).
    # The wording is written out here, not taken from batch.py: this is what version 1 wrote.
    """
    CREATE TABLE tracks_v2 (
        id TEXT PRIMARY KEY,
        location TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL DEFAULT 'local',
        title TEXT NOT NULL DEFAULT '',
        artist TEXT NOT NULL DEFAULT '',
        album TEXT NOT NULL DEFAULT '',
        duration_s REAL NOT NULL DEFAULT 0,
        replaygain_db REAL,
        size INTEGER NOT NULL DEFAULT 0,
        mtime_ns INTEGER NOT NULL DEFAULT 0,
        content_hash TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'analysed', 'failed', 'short')),
        error TEXT NOT NULL DEFAULT '',
        valence REAL, arousal REAL, energy REAL, tempo REAL, loudness_lufs REAL,
        mode INTEGER, brightness REAL,
        extra TEXT NOT NULL DEFAULT '{}',
        analysed_at REAL,
        changed INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO tracks_v2 SELECT * FROM tracks;
    UPDATE tracks_v2 SET status = 'short'
        WHERE status = 'failed' AND substr(error, 1, 19) = 'too short for music';
    DROP TABLE tracks;
    ALTER TABLE tracks_v2 RENAME TO tracks;
    CREATE INDEX tracks_status ON tracks(status);
    CREATE INDEX tracks_changed ON tracks(changed);
    CREATE INDEX tracks_hash ON tracks(content_hash);
    """,
    # 3: the track's sample peak (Track.peak; playback caps a boost with it).  A track analysed before
    # takes the peak its stored analysis holds: that one was read on the mono mix of the excerpts, so
    # it may be a little under the channels' (a boost a little less capped than a new analysis's,
    # never more than before).  A track without an analysis to read it from (a LAN mirror's) has none
    # (NULL), and plays as before.  json_valid first (CASE keeps that order): an analysis that is not JSON
    # leaves the peak NULL rather than failing the migration, which would keep the library from opening.
    """
    ALTER TABLE tracks ADD COLUMN peak REAL;
    UPDATE tracks SET peak = (
        SELECT CASE WHEN json_valid(f.data) THEN (
            CASE WHEN json_type(f.data, '$.peak') IN ('real', 'integer')
                AND json_extract(f.data, '$.peak') > 0 THEN json_extract(f.data, '$.peak') END
        ) END
        FROM features f WHERE f.id = tracks.id
    );
    """,
    # 4: LAN clients get the peaks migration 3 gave: it left the rows' `changed` stamps as they were,
    # so a speaker mirroring this library never asked for them again.  Each analysed track with a peak
    # is stamped changed, on a number of its own (its rowid past the counter: one number for all of
    # them made one `changes` page of the whole library, which a page never splits), and the counter
    # moves past them.  Its mirror takes them with the next sync; nothing is analysed again.  A mirror's
    # own rows (peaks from its server, or none) are stamped too: only its feature matrix reads that.
    # `tag_peak`: the file's ReplayGain track peak tag (library.tags), which Track.peak takes before the
    # analysis's (Batch.set_analysed); NULL for files tagged before it was read, until
    # the next scan reads their tags again (migration 5).
    """
    ALTER TABLE tracks ADD COLUMN tag_peak REAL;
    UPDATE tracks SET changed = rowid + (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'change_counter')
        WHERE status = 'analysed' AND peak IS NOT NULL;
    UPDATE meta SET value = CAST(MAX(CAST(value AS INTEGER),
        COALESCE((SELECT MAX(changed) FROM tracks), 0)) AS TEXT) WHERE key = 'change_counter';
    """,
    # 5: `tags_read`: which reading of a file's tags its row holds (batch.TAGS_READ, written with the
    # tags).  The rows already here hold 0: tags read before the ReplayGain peak, an MP3's TXXX gain and
    # an M4A's freeform one were, so tag_peak is NULL though the file may have one.  The next scan
    # reads such a file's tags again, once, also when it did not change (Indexer: mutagen only, nothing
    # analysed again) and takes them as a new scan would (Batch.retag_file).  A future reading of more
    # tags raises TAGS_READ: no migration needed then.
    """
    ALTER TABLE tracks ADD COLUMN tags_read INTEGER NOT NULL DEFAULT 0;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaError(Exception):
    """The database was written by a newer Moodspeaker (schema version ahead of this code); its message
    names the file and the schemas and says what to do."""


def migrate(conn: sqlite3.Connection) -> int:
    """Apply pending migrations, each in its own transaction; returns the resulting version.

    Foreign keys are off while they run (a migration that rebuilds a table must not fire the
    cascades of the old one) and each is checked against them before it commits: it fails only on
    rows it left breaking them, not on ones there before it (`_before_migration`).  The version is
    read again inside each transaction: a service and a `library stats` opening a database of an
    older version at the same time apply each migration once, the later one finding it done."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaError(_newer(conn, version))
    if version == SCHEMA_VERSION:
        return SCHEMA_VERSION
    foreign_keys = int(conn.execute("PRAGMA foreign_keys").fetchone()[0])
    conn.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: set before BEGIN
    try:
        for number in range(version, SCHEMA_VERSION):
            conn.execute("BEGIN IMMEDIATE")
            try:
                if int(conn.execute("PRAGMA user_version").fetchone()[0]) > number:
                    conn.execute("ROLLBACK")  # applied by another process meanwhile
                    continue
                log.info("library database: applying migration %d", number + 1)
                before = _before_migration(conn, number + 1)
                for statement in MIGRATIONS[number].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                broken = list((_broken_keys(conn) - before).elements())
                if broken:
                    raise sqlite3.IntegrityError(f"migration {number + 1} broke foreign keys: {broken[:5]}")
                conn.execute(f"PRAGMA user_version = {number + 1}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
    finally:
        conn.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    return SCHEMA_VERSION


def _newer(conn: sqlite3.Connection, version: int) -> str:
    """What to say of a database of a schema newer than this code's (`version`): which file, which
    schemas, that it is left as it is, and what to do (no copy is kept before a migration)."""
    file = next((str(row[2]) for row in conn.execute("PRAGMA database_list") if row[1] == "main"), "")
    return (
        f"{file or 'the library database'}: this library database is of schema {version}, written by "
        f"a newer Moodspeaker; this version reads schema {SCHEMA_VERSION} at most and left it as it is. "
        "Upgrade Moodspeaker to open it; or, to stay on this version, move the file away (no copy was kept "
        f"before its migration): `{command('index')}` makes the library again, analysing every file anew, "
        "and a music server's mirror is made again by its next sync."
    )


def _broken_keys(conn: sqlite3.Connection) -> Counter[tuple[object, ...]]:
    """The rows breaking a foreign key now (`PRAGMA foreign_key_check`: table, rowid, parent, key)."""
    return Counter(tuple(row) for row in conn.execute("PRAGMA foreign_key_check").fetchall())


def _before_migration(conn: sqlite3.Connection, migration: int) -> Counter[tuple[object, ...]]:
    """Rows breaking a foreign key before `migration` runs (inside its transaction), once the
    orphaned analyses are gone; the migration fails only on rows it leaves broken beyond these.

    A features row whose track was deleted while foreign keys were off (an older version, the
    sqlite3 shell, a copy of the file) is the analysis of a track no longer in the library: garbage,
    which the key's ON DELETE CASCADE would have deleted with its track (and which a track added
    again under that id would otherwise show before its own analysis).  It is deleted, as the cascade
    would have, and said.  Failing the migration on it failed it at every open: the library never
    opened.  Any other row breaking a key is left as it was (no migration makes such rows)."""
    orphans = [row[1] for row in _broken_keys(conn) if row[0] == "features" and row[2] == "tracks"]
    if orphans:
        conn.executemany("DELETE FROM features WHERE rowid = ?", [(rowid,) for rowid in orphans])
        log.warning(
            "library database: deleted the analyses of %d tracks no longer in the library (left by "
            "an older version or another program) before migration %d",
            len(orphans),
            migration,
        )
    found = _broken_keys(conn)
    if found:
        log.warning(
            "library database: %d rows of %s refer to rows no longer there; migration %d leaves them",
            found.total(),
            ", ".join(sorted({str(row[0]) for row in found})),
            migration,
        )
    return found


class Database:
    """SQLite in WAL mode through two connections: one for writes, one for reads.

    Why two: a write transaction starts with BEGIN IMMEDIATE, which waits (up to the busy timeout,
    30 s) while another process writes the library (`moodspeaker library index` run by hand, a backup
    tool), and a scan batch stays open while it hashes and tags up to 500 files.  With one shared
    connection behind one lock, the planner's and the page's reads waited all that time too.  WAL lets
    readers go on while one writer writes, so reads use their own connection and lock and never wait
    for a writer.  A thread inside `transaction()` reads through the write connection (it sees its
    own uncommitted writes, as before).  ":memory:" has one database per connection, so it keeps one.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        memory = str(path) == ":memory:"
        if not memory:
            private_folder(self.path.parent)  # the data folder: the owner's alone when made here
            # the owner's alone (README: the speaker's data files are 0600), as the mirror's are: made
            # 0600 before SQLite opens it (its -wal and -shm take its mode), an older one tightened
            owner_only(self.path)
        self._write_lock = threading.RLock()
        self._writer = self._connect(path)
        self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.execute("PRAGMA synchronous=NORMAL")
        self._writer.execute("PRAGMA foreign_keys=ON")
        with self._write_lock:
            migrate(self._writer)
        self._writing: int | None = None  # the thread inside transaction(), if any
        if memory:
            self._read_lock, self._reader = self._write_lock, self._writer
        else:
            self._read_lock, self._reader = threading.RLock(), self._connect(path)
            self._reader.execute("PRAGMA query_only=ON")

    @staticmethod
    def _connect(path: str | Path) -> sqlite3.Connection:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
        conn.row_factory = sqlite3.Row
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic batch: all of it is committed, or (on error or crash) none of it.  Waiting for
        another writer (BEGIN IMMEDIATE) holds up other writers only, never the readers."""
        with self._write_lock:
            self._writer.execute("BEGIN IMMEDIATE")
            self._writing = threading.get_ident()
            try:
                yield self._writer
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            finally:
                self._writing = None
            self._writer.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection to read with (for a cursor read in chunks); `query` for plain reads."""
        if self._writing == threading.get_ident():  # inside this thread's transaction
            yield self._writer
            return
        with self._read_lock:
            yield self._reader

    def query(self, sql: str, params: tuple[object, ...] | list[object] = ()) -> list[sqlite3.Row]:
        with self.reading() as conn:
            return conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._read_lock:
            if self._reader is not self._writer:
                self._reader.close()
        with self._write_lock:
            self._writer.close()
