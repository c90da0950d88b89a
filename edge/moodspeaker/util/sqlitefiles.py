"""SQLite files that hold personal data: the owner's alone, and nothing deleted left readable in them.

Why: `secure_delete` zeroes the deleted rows' cells, but each insert's page image stays in the
write-ahead log until that is overwritten, and copies made by page rebuilds lie in pages' unused space
(a prune of 400 feedback rows left 323 copies in the database and 6315 in its -wal).  So a deletion
that removed rows is followed by `scrub`: VACUUM rewrites the file and the TRUNCATE checkpoint empties
the log.  SQLite makes its -wal and -shm with the database file's mode, and a plain open follows the
umask (0644 under the usual 022): `owner_only` creates the file 0600 before SQLite opens it and
tightens the side files of an older one.  The page's mood history and the feedback store share these.

A reader of another connection can keep the scrub from emptying the log (`scrub`): `scrub_or_owe`
then keeps the debt in the file itself (SCRUB_DUE in its `meta` table, so a restart does not lose
it), and the store's next deletion or retention run scrubs again, even when it deleted nothing.

`read_only` reads such a file without writing to it (an export of the data must not change it).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

#: The key, in the file's `meta` table, of a scrub still owed (`scrub_or_owe`); the LAN mirror's is
#: the same (library.lan.mirror).
SCRUB_DUE = "scrub_due"

#: The database and the files SQLite keeps beside it (which it makes with the database's own mode).
SIDE_FILES = ("", "-wal", "-shm", "-journal")


def owner_only(path: str | Path) -> None:
    """Create `path` if missing and make it and its side files readable by the owner alone.  Best effort:
    where the folder or file refuses (a read-only card, another owner), SQLite's own open says what is
    wrong (e0fada8)."""
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for suffix in SIDE_FILES:
        with contextlib.suppress(OSError):
            os.chmod(f"{path}{suffix}", 0o600)


def scrub(db: sqlite3.Connection) -> bool:
    """After rows were deleted (autocommit connection, WAL): rewrite the file and empty the log, so the
    deleted rows are in neither (module docstring).  Returns whether the log was emptied: a reader of
    another connection (or process) that keeps the log busy past the connection's busy timeout makes
    the checkpoint partial (its first column, busy, is 1) and the deleted rows' page images stay in
    the -wal, so the caller must keep the scrub owed and try again later."""
    db.execute("VACUUM")
    busy = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    return not busy


def scrub_owed(db: sqlite3.Connection) -> str | None:
    """The debt of a scrub an earlier `scrub_or_owe` could not finish (its token), else None."""
    if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is None:
        return None
    row = db.execute("SELECT value FROM meta WHERE key = ?", (SCRUB_DUE,)).fetchone()
    return None if row is None else str(row[0])


def scrub_or_owe(db: sqlite3.Connection, what: str) -> bool:
    """`scrub`, and keep account of it in the file: when the log was emptied, a debt read before is
    paid (deleted only if it is still that one: another connection's partial scrub in between left a
    new one); when a reader kept it busy, the debt is written (a new token) and said, naming `what`
    (the file), so the next deletion or retention scrubs again (`scrub_owed`).  Returns whether the
    deleted data is gone from the file and its log."""
    owed = scrub_owed(db)
    if scrub(db):
        if (
            owed is not None
            and db.execute("DELETE FROM meta WHERE key = ? AND value = ?", (SCRUB_DUE, owed)).rowcount
        ):
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the log empty again
        return True
    db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (SCRUB_DUE, os.urandom(8).hex()))
    log.warning(
        "%s: deleted data not scrubbed from the file's log yet: another program is reading it;"
        " scrubbed again at the next deletion or retention run",
        what,
    )
    return False


@contextlib.contextmanager
def read_only(path: str | Path) -> Iterator[sqlite3.Connection]:
    """`path` opened for reading only (SQLite's mode=ro): nothing is written to the database or its log,
    whatever its schema or journal mode (a read-write open of a WAL database checkpoints its log into
    the file when it closes).  A reader of a WAL database makes the -wal and -shm it finds missing and,
    read-only, cannot remove them as the last connection does: those it made are removed once it is
    closed (kept only if another program wrote to a log it made meanwhile: the caller keeps writers
    away, service.datalock).  sqlite3.Error when it cannot be opened (no such file, not a database)."""
    absolute = Path(path).absolute()
    sides = [absolute.with_name(absolute.name + suffix) for suffix in ("-wal", "-shm")]
    made = [side for side in sides if not side.exists()]
    db = sqlite3.connect(f"{absolute.as_uri()}?mode=ro", uri=True, check_same_thread=False)
    try:
        yield db
    finally:
        db.close()
        wal = sides[0]
        written = wal in made and wal.exists() and wal.stat().st_size > 0
        for side in made if not written else []:
            with contextlib.suppress(FileNotFoundError):
                side.unlink()
