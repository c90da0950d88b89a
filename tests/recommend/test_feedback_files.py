"""The feedback database on disk: what the retention prunes is gone from every file, and the files are the
owner's alone.

A real FeedbackStore (SQLite, WAL, synchronous=FULL) in a test folder.  Feedback on a track whose id
is a marker no other row has is added, then pruned by the retention; the raw bytes of every file the
store keeps (the database, its write-ahead log and shared memory) must not hold the marker.  Before,
a prune only deleted the rows: 400 pruned rows left hundreds of copies in the database's unused page
space and thousands of page images in the log.  The files were 0644 (moods and tastes readable by
every user of the machine); they are 0600 now, also an older file's.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from moodspeaker.recommend import FeedbackStore
from moodspeaker.recommend.store import FeedbackRow

OLD = "zz-pruned-track"


def row(ts: float, track_id: str) -> FeedbackRow:
    return FeedbackRow("default", track_id, "like", "happy", 0.9, 0.5, 0.4, ts, artist="Band")


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def modes(folder: Path) -> dict[str, str]:
    return {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in folder.iterdir()}


def test_pruned_feedback_leaves_no_trace_and_the_files_are_the_owners_alone(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "recommend.sqlite3")
    try:
        store.create_profile("default", 0.0)
        for i in range(600):
            store.add(row(1000.0 + i, OLD if i < 400 else "kept-track"))
        assert any(OLD.encode() in data for data in files(tmp_path).values())  # it was on disk
        assert "recommend.sqlite3-wal" in modes(tmp_path)
        assert set(modes(tmp_path).values()) == {"0o600"}, modes(tmp_path)
        assert store.prune(1400.0) == 400
        left = {name: data.count(OLD.encode()) for name, data in files(tmp_path).items()}
        assert not any(left.values()), f"pruned feedback still in the files: {left}"
        assert [e.track_id for e in store.events()] == ["kept-track"] * 200  # the rest is kept
        assert store.prune(1400.0) == 0
    finally:
        store.close()


def test_an_older_database_is_tightened(tmp_path: Path) -> None:
    first = FeedbackStore(tmp_path / "recommend.sqlite3")
    first.create_profile("default", 0.0)
    first.close()
    for path in tmp_path.iterdir():
        path.chmod(0o644)
    store = FeedbackStore(tmp_path / "recommend.sqlite3")
    try:
        store.add(row(1.0, "a-track"))
        assert "recommend.sqlite3-wal" in modes(tmp_path)
        assert set(modes(tmp_path).values()) == {"0o600"}, modes(tmp_path)
        assert os.access(tmp_path / "recommend.sqlite3", os.R_OK | os.W_OK)
    finally:
        store.close()


def _count(path: Path) -> list[tuple[str, int]]:
    """What sqlite_sequence keeps of the feedback (its AUTOINCREMENT counter), read as any reader of
    the file would."""
    db = sqlite3.connect(path)
    try:
        return list(db.execute("SELECT name, seq FROM sqlite_sequence WHERE name = 'feedback'"))
    finally:
        db.close()


def test_no_count_of_the_feedback_ever_recorded_is_left_once_all_of_it_is_deleted(tmp_path: Path) -> None:
    """ "Delete everything" deletes every profile, the retention may prune every event: the counter of
    the feedback table said how many events were ever recorded all the same (`feedback|N`)."""
    path = tmp_path / "recommend.sqlite3"
    store = FeedbackStore(path)
    try:
        for name in ("anna", "ben"):
            store.create_profile(name, 0.0)
        for i in range(7):
            store.add(
                FeedbackRow("anna" if i < 4 else "ben", f"t{i}", "like", "happy", 0.9, 0.5, 0.4, 10.0 + i)
            )
        assert _count(path) == [("feedback", 7)]
        assert store.delete_profile("anna") == 4
        assert _count(path) == [("feedback", 7)]  # ben's events are left, numbered up to 7
        assert store.delete_profile("ben") == 3
        assert _count(path) == [], "the number of feedback events ever recorded outlived them all"

        store.create_profile("default", 20.0)
        for i in range(3):
            store.add(row(100.0 + i, f"u{i}"))  # numbered from 1 again
        assert store.prune(101.0) == 1
        assert _count(path) == [("feedback", 3)]
        assert store.prune(1000.0) == 2
        assert _count(path) == [], "the retention pruned every event, not their count"
    finally:
        store.close()
