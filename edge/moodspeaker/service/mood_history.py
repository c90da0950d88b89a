"""The mood history file (`<data_dir>/mood-history.sqlite3`): its table, its retention, and who prunes it.

Why here: the page's MoodHistory (moodspeaker_web.history) keeps the file and prunes it by the privacy
retention, but only while the page runs; a speaker run without it (`moodspeaker run --no-web`,
`web.enabled = false`) kept the readings it had stored forever.  So the service's retention prunes the
file itself when no page in this process keeps it (`prune_file`), with the same SQL as the page's
(`prune`), and the edge package does not import the web package for it: the page imports this module.
An open MoodHistory marks its file as kept here (`kept_here`/`let_go`): two writers of one file in one
process would only wait on each other's locks, and the page's own retention covers it.  A scrub a
reader kept from emptying the file's log stays owed in the file (util.sqlitefiles.scrub_or_owe): the
next prune scrubs again, also one that deletes nothing.  The service's delete everything clears the
file itself (`clear_file`), page or no page: not every caller of it is the page.  A MoodHistory kept
here is told first (the `clearing` it gave `kept_here`, held through the clear): what its page's
recorder queued before is dropped, not written after the clear, and it writes nothing in between; so
the page need not clear the file again.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

from moodspeaker.util.sqlitefiles import owner_only, scrub_or_owe, scrub_owed

#: The file's name in the data folder.
FILE_NAME = "mood-history.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS mood (
    ts REAL NOT NULL,
    mood TEXT NOT NULL,
    confidence REAL NOT NULL,
    valence REAL NOT NULL,
    arousal REAL NOT NULL,
    face INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mood_ts ON mood (ts);
"""

#: The table's columns, in the order the page's export gives them.
COLUMNS = ("ts", "mood", "confidence", "valence", "arousal", "face")

#: How long the service's prune waits for a page of another process that is writing the file.
BUSY_TIMEOUT_S = 30.0

#: What a MoodHistory kept here gives `kept_here`: entered before `clear_file` deletes, left after.
Clearing = Callable[[], AbstractContextManager[None]]

_lock = threading.Lock()
_kept: dict[str, list[Clearing]] = {}  # the files an open MoodHistory of this process keeps: each one's


def _key(path: str | Path) -> str:
    return os.path.realpath(path)


def _not_told() -> AbstractContextManager[None]:
    return contextlib.nullcontext()


def kept_here(path: str | Path, clearing: Clearing = _not_told) -> None:
    """A MoodHistory of this process opened `path`: its retention is the page's (until `let_go`), and
    `clearing()` is held through each `clear_file` of it (the store drops what it was about to write)."""
    with _lock:
        _kept.setdefault(_key(path), []).append(clearing)


def let_go(path: str | Path, clearing: Clearing = _not_told) -> None:
    """The MoodHistory that opened `path` (with `clearing`) closed it."""
    with _lock:
        kept = _kept.get(_key(path), [])
        with contextlib.suppress(ValueError):
            kept.remove(clearing)
        if not kept:
            _kept.pop(_key(path), None)


def is_kept_here(path: str | Path) -> bool:
    with _lock:
        return _key(path) in _kept


def prune(db: sqlite3.Connection, before: float) -> int:
    """Delete the readings older than `before` (autocommit connection); when some went, or an earlier
    scrub is still owed, scrub the file and its log (util.sqlitefiles; a scrub a reader kept from the
    log is said there).  Returns how many went."""
    return pruned(db, before, FILE_NAME)[0]


def pruned(db: sqlite3.Connection, before: float, what: str) -> tuple[int, bool]:
    """`prune`, naming the file `what` when its scrub stays owed; returns how many went and whether
    nothing deleted is left in the file's log (False: a reader kept it busy; the next prune scrubs)."""
    gone = int(db.execute("DELETE FROM mood WHERE ts < ?", (before,)).rowcount)
    if gone or scrub_owed(db) is not None:
        return gone, scrub_or_owe(db, what)
    return gone, True


def prune_file(data_dir: str | Path, before: float) -> tuple[int, bool]:
    """The service's retention of the mood history: prune `<data_dir>/mood-history.sqlite3` unless a
    page of this process keeps it (it prunes it itself) or there is none.  Returns how many readings
    went, and whether the file is scrubbed (`pruned`).  sqlite3.Error or OSError (a locked or
    unreadable file, a read-only card) propagates."""
    path = Path(data_dir) / FILE_NAME
    if is_kept_here(path):
        return 0, True
    with _opened(path) as db:
        return (0, True) if db is None else pruned(db, before, str(path))


def clear_file(data_dir: str | Path) -> bool:
    """Delete everything's part (service.listeners): every reading in `<data_dir>/mood-history.sqlite3`
    deleted and the file scrubbed, also while a page of this process keeps it (whoever asked the
    service to delete everything, the page may not be the one).  Each MoodHistory kept here is told
    first and held through it (its `clearing`): the readings its recorder queued until now are
    dropped, and none is written in between.  Returns whether nothing deleted is left in the file's
    log (False: a reader kept it busy, the scrub stays owed, util.sqlitefiles.scrub_or_owe).
    sqlite3.Error or OSError propagates."""
    path = Path(data_dir) / FILE_NAME
    with _lock:
        told = list(_kept.get(_key(path), ()))
    with contextlib.ExitStack() as held:
        for clearing in told:
            held.enter_context(clearing())
        with _opened(path) as db:
            if db is None:
                return True
            db.execute("DELETE FROM mood")
            return scrub_or_owe(db, str(path))


def export_file(data_dir: str | Path) -> list[dict[str, object]]:
    """Every reading in `<data_dir>/mood-history.sqlite3`, oldest first, as the page's MoodHistory
    exports them (a speaker not running, or running without its page: `moodspeaker privacy export`);
    [] when there is no such file.  sqlite3.Error or OSError propagates."""
    with _opened(Path(data_dir) / FILE_NAME) as db:
        if db is None:
            return []
        rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM mood ORDER BY ts").fetchall()
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[sqlite3.Connection | None]:
    """An autocommit connection to the mood history file with secure_delete on, closed on the way out;
    None when there is no such file or it has no mood table."""
    if not path.is_file():
        yield None
        return
    owner_only(path)  # an older file readable by others is tightened too
    db = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        db.execute("PRAGMA secure_delete=ON")
        table = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='mood'").fetchone()
        yield None if table is None else db
    finally:
        db.close()
