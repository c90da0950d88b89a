"""The page's mood history on disk: what the retention deletes is gone from every file, and the files are
the owner's alone.

A real MoodHistory (SQLite, WAL) in a test folder.  Samples of a mood named with a marker no other row
has are added, then pruned by the retention; the raw bytes of every file the history keeps (the
database, its write-ahead log and shared memory) must not hold the marker.  Before, the log kept a
page image of each insert (thousands of copies of the deleted rows) and the database kept copies in
unused page space.  The files held mood readings readable by every user of the machine (0644).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from moodspeaker.service.events import MoodObserved
from moodspeaker_web.history import MoodHistory

OLD = "zz-deleted-mood"


def sample(ts: float, mood: str) -> MoodObserved:
    return MoodObserved(ts=ts, mood=mood, confidence=0.5, valence=0.1, arousal=0.2, face=True)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_pruned_samples_leave_no_trace(tmp_path: Path) -> None:
    history = MoodHistory(tmp_path / "mood-history.sqlite3", min_spacing_s=0.0)
    try:
        for i in range(3000):
            assert history.add(sample(1000.0 + i, OLD if i < 2000 else "happy"))
        assert any(OLD.encode() in data for data in files(tmp_path).values())  # it was on disk
        assert history.prune(3000.0) == 2000
        assert history.count() == 1000
        left = {name: data.count(OLD.encode()) for name, data in files(tmp_path).items()}
        assert not any(left.values()), f"deleted samples still in the files: {left}"
        assert [s["mood"] for s in history.since(0.0)] == ["happy"] * 1000  # the rest is kept
        assert history.prune(3000.0) == 0
    finally:
        history.close()


def test_history_files_are_the_owners_alone(tmp_path: Path) -> None:
    old = tmp_path / "old" / "mood-history.sqlite3"
    first = MoodHistory(old)  # an older speaker's file, made readable by others
    first.add(sample(1.0, "sad"))
    first.close()
    for path in old.parent.iterdir():
        path.chmod(0o644)
    for folder in (tmp_path / "new", old.parent):
        history = MoodHistory(folder / "mood-history.sqlite3")
        try:
            history.add(sample(2.0, "happy"))
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
            assert "mood-history.sqlite3-wal" in modes
            assert all(mode & 0o077 == 0 for mode in modes.values()), {k: oct(v) for k, v in modes.items()}
            assert os.access(folder / "mood-history.sqlite3", os.R_OK | os.W_OK)
        finally:
            history.close()
