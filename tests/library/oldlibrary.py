"""Library databases as earlier versions of the schema left them: version 1 (db.MIGRATIONS[0]) and
version 2 (MIGRATIONS[0] and [1], before the track's peak): what an installed speaker or library
server has before the upgrade that migrates it.  Frozen copies on purpose, written out here and not
taken from db.py (whose first migration they repeat), so the tests keep building those databases
even if the migrations are edited."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from moodspeaker.library.index import track_id
from moodspeaker.library.scanner import content_hash
from moodspeaker.library.tags import read_tags

#: What versions 1 and 2 have beside the tracks table, as version 1 created it (db.MIGRATIONS[0]):
#: a frozen copy, deliberately not imported from db.py (see above).
BESIDE_TRACKS = """
CREATE INDEX tracks_status ON tracks(status);
CREATE INDEX tracks_changed ON tracks(changed);
CREATE INDEX tracks_hash ON tracks(content_hash);
CREATE TABLE features (id TEXT PRIMARY KEY REFERENCES tracks(id) ON DELETE CASCADE, data TEXT NOT NULL);
CREATE TABLE problems (
    path TEXT PRIMARY KEY, kind TEXT NOT NULL, reason TEXT NOT NULL, seen_at REAL NOT NULL
);
CREATE TABLE removed (id TEXT PRIMARY KEY, changed INTEGER NOT NULL);
CREATE INDEX removed_changed ON removed(changed);
"""

#: The whole schema of version 1, as that version created it (db.MIGRATIONS[0]).
SCHEMA_1 = (
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
"""
    + BESIDE_TRACKS
    + "PRAGMA user_version = 1;\n"
)

#: The whole schema of version 2 (db.MIGRATIONS[0] and [1]: version 1's, the status `short` added).
SCHEMA_2 = (
    """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('change_counter', '1');
CREATE TABLE tracks (
    id TEXT PRIMARY KEY, location TEXT NOT NULL UNIQUE, source TEXT NOT NULL DEFAULT 'local',
    title TEXT NOT NULL DEFAULT '', artist TEXT NOT NULL DEFAULT '', album TEXT NOT NULL DEFAULT '',
    duration_s REAL NOT NULL DEFAULT 0, replaygain_db REAL, size INTEGER NOT NULL DEFAULT 0,
    mtime_ns INTEGER NOT NULL DEFAULT 0, content_hash TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'analysed', 'failed', 'short')),
    error TEXT NOT NULL DEFAULT '', valence REAL, arousal REAL, energy REAL, tempo REAL,
    loudness_lufs REAL, mode INTEGER, brightness REAL, extra TEXT NOT NULL DEFAULT '{}',
    analysed_at REAL, changed INTEGER NOT NULL DEFAULT 0
);
"""
    + BESIDE_TRACKS
    + "PRAGMA user_version = 2;\n"
)

#: the Track values each track of `version_2_library` has (FEATURE_COLUMNS), untitled artist and album
VALUES = {"valence": 0.0, "arousal": 0.0, "energy": 0.5, "tempo": 120.0, "loudness_lufs": -20.0, "mode": 1,
          "brightness": 0.5}  # fmt: skip


def version_2_library(
    path: Path,
    tracks: Iterable[tuple[str, str, str, str | None]],
    *,
    source: str = "local",
    meta: Mapping[str, str] | None = None,
) -> None:
    """A version-2 database at `path` (its folder made) holding `tracks`, each (id, location, title,
    its stored analysis's JSON or None: a mirror's row has none) analysed in change 1 with `VALUES`,
    the counter at 1, with `meta`'s keys too (a mirror's cursor)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_2)
    for tid, location, title, data in tracks:
        conn.execute(
            "INSERT INTO tracks (id, location, source, title, status, valence, arousal, energy, tempo,"
            " loudness_lufs, mode, brightness, changed) VALUES (?,?,?,?,'analysed',0,0,0.5,120,-20,1,0.5,1)",
            (tid, location, source, title),
        )
        if data is not None:
            conn.execute("INSERT INTO features VALUES (?, ?)", (tid, data))
    conn.executemany("INSERT INTO meta VALUES (?, ?)", list((meta or {}).items()))
    conn.commit()
    conn.close()


def version_2_scan(path: Path, files: Sequence[Path], peak: float, *, pending: Sequence[Path] = ()) -> None:
    """A version-2 database at `path` that indexed `files` as that version's scan did: each one's stat
    and audio hash as they are now (so a scan finds it unchanged), its title and length as the tags
    give them (read as that version did), no ReplayGain (the gain tags that version read are left out:
    what a later scan reads again is the question), analysed with a stored analysis of peak `peak`
    (the key that version's analyses held it under); those in `pending` were left pending (a scan
    stopped before their analysis)."""
    analysis = json.dumps({"peak": peak, "tempo": 120.0})
    tags = {f: read_tags(f) for f in files}
    version_2_library(path, [(track_id(str(f)), str(f), tags[f].title, None if f in pending else analysis)
                             for f in files])  # fmt: skip
    conn = sqlite3.connect(path)
    for f in files:
        stat = f.stat()
        conn.execute(
            "UPDATE tracks SET size = ?, mtime_ns = ?, content_hash = ?, duration_s = ? WHERE location = ?",
            (stat.st_size, stat.st_mtime_ns, content_hash(str(f), stat.st_size), tags[f].duration_s, str(f)),
        )
    conn.executemany(
        "UPDATE tracks SET status = 'pending', valence = NULL, arousal = NULL, energy = NULL, tempo = NULL,"
        " loudness_lufs = NULL, mode = NULL, brightness = NULL WHERE location = ?",
        [(str(f),) for f in pending],
    )
    conn.commit()
    conn.close()
