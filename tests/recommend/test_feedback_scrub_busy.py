"""A deletion's scrub that a reader kept from emptying the log stays owed, and says so.

Why: `scrub` (util.sqlitefiles) ends with a TRUNCATE checkpoint, which cannot empty the -wal while
another connection reads from it (past the busy timeout it gives up: busy=1).  The feedback store
and the mood history file ignored that result: the deleted rows' page images stayed readable in the
-wal while the deletion counted as done, and no later prune scrubbed again (it scrubs only when rows
go).  Now the debt is kept in the file (`meta`), said, and the next prune scrubs even when it deletes
nothing.  Real SQLite files; the reader is a real read transaction of a second connection, held
through the whole scrub (the busy timeout is shortened: no wait changes the outcome).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from moodspeaker.recommend import FeedbackStore, store
from moodspeaker.recommend.store import FeedbackRow
from moodspeaker.service import mood_history
from moodspeaker.util.sqlitefiles import SCRUB_DUE

OLD = "zz-deleted-marker"


def on_disk(folder: Path, stem: str) -> dict[str, int]:
    """How many copies of OLD each of the database's files holds (only those that hold any)."""
    counts = {p.name: p.read_bytes().count(OLD.encode()) for p in folder.glob(f"{stem}*")}
    return {name: n for name, n in counts.items() if n}


@contextlib.contextmanager
def reading(path: Path, table: str) -> Iterator[None]:
    """Another program's read transaction on `path`, held until the block ends."""
    reader = sqlite3.connect(path, isolation_level=None)
    with contextlib.closing(reader):
        reader.execute("BEGIN")
        reader.execute(f"SELECT count(*) FROM {table}").fetchall()
        yield
        reader.execute("ROLLBACK")


def owed(path: Path) -> bool:
    """The file says a scrub is owed (SCRUB_DUE in its meta table, which an older file lacks)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        if db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is None:
            return False
        return db.execute("SELECT 1 FROM meta WHERE key = ?", (SCRUB_DUE,)).fetchone() is not None


def row(profile: str, ts: float, track_id: str) -> FeedbackRow:
    return FeedbackRow(profile, track_id, "like", "happy", 0.9, 0.5, 0.4, ts, artist="Band")


@pytest.fixture
def feedback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedbackStore]:
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.0, raising=False)  # the reader stays all through
    kept = FeedbackStore(tmp_path / "recommend.sqlite3")
    try:
        for name in ("anna", "ben"):
            kept.create_profile(name, 0.0)
        for i in range(200):
            kept.add(row("anna", 1000.0 + i, OLD))
        kept.add(row("ben", 5000.0, "kept-track"))
        assert on_disk(tmp_path, "recommend"), "the marker never reached the files: this test shows nothing"
        yield kept
    finally:
        kept.close()


def test_a_deleted_profile_a_reader_kept_in_the_log_is_scrubbed_by_the_next_retention(
    tmp_path: Path, feedback: FeedbackStore, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "recommend.sqlite3"
    with reading(path, "feedback"):
        assert feedback.delete_profile("anna") == 200
        assert on_disk(tmp_path, "recommend"), "the scrub emptied the log all the same: this shows nothing"
        assert owed(path), "a partial scrub counted as done"  # in the file: a restart keeps the debt
        assert feedback.scrub_due
        assert "not scrubbed" in caplog.text and str(path) in caplog.text

    assert feedback.prune(0.0) == 0  # the next retention run deletes nothing, and scrubs
    assert on_disk(tmp_path, "recommend") == {}, "the deleted feedback is still readable"
    assert (feedback.scrub_due, owed(path)) == (False, False)  # paid
    assert [e.track_id for e in feedback.events()] == ["kept-track"]


def test_a_pruned_feedback_a_reader_kept_in_the_log_stays_owed_across_a_restart(
    tmp_path: Path, feedback: FeedbackStore
) -> None:
    path = tmp_path / "recommend.sqlite3"
    with reading(path, "feedback"):
        assert feedback.prune(2000.0) == 200
        assert owed(path), "a partial scrub counted as done"
    feedback.close()
    again = FeedbackStore(path)
    try:
        assert again.scrub_due  # the next process owes it too
        assert again.prune(0.0) == 0
        assert on_disk(tmp_path, "recommend") == {}, "the pruned feedback is still readable"
        assert not again.scrub_due
    finally:
        again.close()


def test_the_mood_history_prune_keeps_a_scrub_a_reader_kept_from_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(mood_history, "BUSY_TIMEOUT_S", 0.0)  # the reader stays all through
    path = tmp_path / mood_history.FILE_NAME
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as page:  # as the page writes it
        page.execute("PRAGMA journal_mode=WAL")
        page.execute("PRAGMA secure_delete=ON")
        page.executescript(mood_history.SCHEMA)
        for i in range(300):
            page.execute("INSERT INTO mood VALUES (?, ?, 0.9, 0.5, 0.2, 1)", (1000.0 + i, OLD))
        page.execute("INSERT INTO mood VALUES (5000.0, 'happy', 0.9, 0.5, 0.2, 1)")
        assert on_disk(tmp_path, "mood-history")

        with reading(path, "mood"):
            pruned = mood_history.prune_file(tmp_path, 2000.0)
            assert on_disk(tmp_path, "mood-history"), "the scrub emptied the log: this shows nothing"
            assert owed(path), "a partial scrub counted as done"
            assert pruned == (300, False)  # and the service is told
            assert "not scrubbed" in caplog.text and str(path) in caplog.text

        assert mood_history.prune_file(tmp_path, 2000.0) == (0, True)  # the next retention scrubs
        assert on_disk(tmp_path, "mood-history") == {}, "the pruned readings are still readable"
        assert not owed(path)
        assert page.execute("SELECT mood FROM mood").fetchall() == [("happy",)]
