"""SQLite files that hold personal data: the owner's alone, and nothing deleted left readable in them.

Why: `secure_delete` zeroes the deleted rows' cells, but each insert's page image stays in the
write-ahead log until that is overwritten, and copies made by page rebuilds lie in pages' unused space
(a prune of 400 feedback rows left 323 copies in the database and 6315 in its -wal).  So a deletion
that removed rows is followed by `scrub`: VACUUM rewrites the file and the TRUNCATE checkpoint empties
the log.  SQLite makes its -wal and -shm with the database file's mode, and a plain open follows the
umask (0644 under the usual 022): `owner_only` creates the file 0600 before SQLite opens it and
tightens the side files of an older one.  The page's mood history and the feedback store share these.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

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
