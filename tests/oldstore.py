"""The feedback store (recommend.sqlite) as releases before the `seen` column made it: schema 1, a
rollback journal, the default profile and one feedback row, for the tests of what becomes of such a
store (tests/recommend/test_missing_seen_store.py, tests/service/test_privacy_export_read_only.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE profiles (name TEXT PRIMARY KEY, strategy TEXT, created REAL NOT NULL);
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL REFERENCES profiles(name) ON DELETE CASCADE,
    track_id TEXT NOT NULL, kind TEXT NOT NULL, mood TEXT NOT NULL, confidence REAL NOT NULL,
    valence REAL NOT NULL, arousal REAL NOT NULL, ts REAL NOT NULL, played_s REAL,
    corrected_mood TEXT, artist TEXT NOT NULL DEFAULT '', features TEXT, taste TEXT
);
INSERT INTO meta VALUES ('schema', '1');
INSERT INTO profiles VALUES ('default', NULL, 0);
"""
_ROW = """
INSERT INTO feedback(profile, track_id, kind, mood, confidence, valence, arousal, ts)
    VALUES ('default', 'old', ?, 'happy', 0.9, 0.5, 0.4, 100.0)
"""


def write_v1_store(path: Path, kind: str) -> None:
    """A schema-1 store at `path` whose one row is the default listener's `kind` (e.g. "like",
    "missing") of track "old" in a happy mood at t=100."""
    db = sqlite3.connect(path)
    try:
        db.executescript(_V1)
        with db:
            db.execute(_ROW, (kind,))
    finally:
        db.close()
