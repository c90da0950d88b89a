"""LibraryIndex: every known track with its features, and fast similarity queries over them.

Rows live in SQLite (see `db.py`); the analysed tracks' Track features are also kept as a compact
float32 matrix (columns FEATURE_COLUMNS) that is rebuilt only when the database's change counter
moves, so a top-k query is a vectorised distance plus `argpartition` (about a millisecond for 100k
tracks).  Every write batch bumps the change counter and stamps the rows it touched, which is what
LAN clients sync on (`changes_since`).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moodspeaker.library.batch import EXTRA_KEYS, Batch, Tags, track_id
from moodspeaker.library.db import Database
from moodspeaker.library.track import FEATURE_COLUMNS, Track

#: Distances are measured in these units per column, so each spans roughly 0..1 (tempo: 100 BPM,
#: loudness: 20 LU, valence/arousal: the full -1..1 range).
COLUMN_SCALES: dict[str, float] = {
    "valence": 2.0,
    "arousal": 2.0,
    "energy": 1.0,
    "tempo": 100.0,
    "loudness_lufs": 20.0,
    "mode": 1.0,
    "brightness": 1.0,
}

_TRACK_COLS = (
    "id, location, source, title, artist, album, duration_s, replaygain_db, valence, arousal, energy, "
    "tempo, loudness_lufs, mode, brightness, extra, peak"
)


@dataclass(frozen=True)
class FileState:
    """What the index knows of a file: enough to tell whether it changed."""

    id: str
    size: int
    mtime_ns: int
    content_hash: str
    status: str  # pending, analysed, failed, or short (kept out as shorter than library.min_track_s)
    duration_s: float = 0.0  # from the tags, else from the analysis (0: not known)
    error: str = ""  # why it failed or was kept out (words for people: the status tells them apart)
    tags_read: int = 0  # which reading of the file's tags the index holds (batch.TAGS_READ)


def track_row(t: Track) -> dict[str, Any]:
    """A track as a row of the library-server protocol (`changes_since`), which is also what a mirror's
    `Batch.put_remote` takes once the row has a location: the server and a mirror moving a staged copy
    (library.lan.client) write the same fields."""
    return {
        "id": t.id, "title": t.title, "artist": t.artist, "album": t.album,
        "duration_s": t.duration_s, "replaygain_db": t.replaygain_db,
        **{c: getattr(t, c) for c in FEATURE_COLUMNS}, "extra": t.extra, "peak": t.peak,
    }  # fmt: skip


def _row_to_track(row: sqlite3.Row) -> Track:
    try:
        extra = {k: float(v) for k, v in json.loads(row["extra"]).items()}
    except (ValueError, TypeError, AttributeError):
        extra = {}
    defaults = Track(id="", location="", title="", artist="")
    return Track(
        id=row["id"],
        location=row["location"],
        title=row["title"],
        artist=row["artist"],
        album=row["album"],
        duration_s=float(row["duration_s"] or 0.0),
        valence=float(row["valence"] if row["valence"] is not None else defaults.valence),
        arousal=float(row["arousal"] if row["arousal"] is not None else defaults.arousal),
        energy=float(row["energy"] if row["energy"] is not None else defaults.energy),
        tempo=float(row["tempo"] if row["tempo"] is not None else defaults.tempo),
        loudness_lufs=float(
            row["loudness_lufs"] if row["loudness_lufs"] is not None else defaults.loudness_lufs
        ),
        mode=int(row["mode"] if row["mode"] is not None else defaults.mode),
        brightness=float(row["brightness"] if row["brightness"] is not None else defaults.brightness),
        replaygain_db=None if row["replaygain_db"] is None else float(row["replaygain_db"]),
        source=row["source"],
        extra=extra,
        peak=None if row["peak"] is None else float(row["peak"]),
    )


class LibraryIndex:
    """The track index of one library database (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.db = Database(path)
        self._matrix_lock = threading.Lock()
        self._matrix_counter = -1
        self._ids: list[str] = []
        self._matrix = np.zeros((0, len(FEATURE_COLUMNS)), dtype=np.float32)

    # -- reading -------------------------------------------------------------------------------
    def change_counter(self) -> int:
        return int(self.db.query("SELECT value FROM meta WHERE key='change_counter'")[0][0])

    def meta(self, key: str) -> str | None:
        rows = self.db.query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def tracks(self) -> list[Track]:
        """Every analysed (playable) track."""
        rows = self.db.query(f"SELECT {_TRACK_COLS} FROM tracks WHERE status='analysed' ORDER BY id")
        return [_row_to_track(r) for r in rows]

    def has_tracks_under(self, folder: str) -> bool:
        """Whether an analysed track's file is inside the folder `folder` (a trailing separator or none).
        One lookup on the location's own index (a range of its prefix; `+status` keeps SQLite off the
        status index, which would walk every analysed row), not a Track built per row: health asks it
        of a music folder that is missing (service.health.library_state)."""
        prefix = folder.rstrip(os.sep) + os.sep
        after = prefix[:-1] + chr(ord(os.sep) + 1)  # the first string past every one with the prefix
        rows = self.db.query(
            "SELECT 1 FROM tracks WHERE location > ? AND location < ? AND +status = 'analysed' LIMIT 1",
            (prefix, after),
        )
        return bool(rows)

    def get(self, track_id: str) -> Track | None:
        rows = self.db.query(f"SELECT {_TRACK_COLS}, status FROM tracks WHERE id=?", (track_id,))
        return _row_to_track(rows[0]) if rows and rows[0]["status"] == "analysed" else None

    def get_many(self, ids: Iterable[str]) -> dict[str, Track]:
        wanted = list(ids)
        out: dict[str, Track] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            # by primary key only: with the status in the WHERE clause SQLite may scan the status index
            sql = f"SELECT {_TRACK_COLS}, status FROM tracks WHERE id IN ({marks})"
            for row in self.db.query(sql, list(chunk)):
                if row["status"] == "analysed":
                    out[row["id"]] = _row_to_track(row)
        return out

    def feature_matrix(self) -> tuple[list[str], np.ndarray]:
        """(ids, X): float32 rows of FEATURE_COLUMNS for every analysed track (cached; do not modify)."""
        counter = self.change_counter()
        with self._matrix_lock:
            if counter != self._matrix_counter:
                self._ids, self._matrix = self._load_matrix()
                self._matrix_counter = counter
            return self._ids, self._matrix

    def _load_matrix(self) -> tuple[list[str], np.ndarray]:
        """Read the matrix in chunks (plain tuples, no Row objects) to keep the peak memory low."""
        cols = ", ".join(FEATURE_COLUMNS)
        ids: list[str] = []
        parts: list[np.ndarray] = []
        with self.db.reading() as conn:
            cur = conn.cursor()
            cur.row_factory = None
            cur.execute(f"SELECT id, {cols} FROM tracks WHERE status='analysed' ORDER BY id")
            while chunk := cur.fetchmany(20000):
                ids.extend(r[0] for r in chunk)
                parts.append(np.array([r[1:] for r in chunk], dtype=np.float32))
        if not parts:
            return ids, np.zeros((0, len(FEATURE_COLUMNS)), dtype=np.float32)
        # column-major: a query reads a few whole columns, each then contiguous in memory
        return ids, np.asfortranarray(np.concatenate(parts))

    def query(
        self, target: Mapping[str, float], k: int = 10, weights: Mapping[str, float] | None = None
    ) -> list[tuple[Track, float]]:
        """The k analysed tracks nearest to `target` (any subset of FEATURE_COLUMNS), nearest first.

        Distance is weighted Euclidean in COLUMN_SCALES units over the columns named in `target`;
        `weights` (default 1 each) sets how much each column counts.
        """
        ids, matrix = self.feature_matrix()
        order = nearest(matrix, target, k, weights)
        found = self.get_many(ids[i] for i, _ in order)
        return [(found[ids[i]], d) for i, d in order if ids[i] in found]

    def file_states(self, source: str = "local") -> dict[str, FileState]:
        rows = self.db.query(
            "SELECT id, location, size, mtime_ns, content_hash, status, duration_s, error, tags_read"
            " FROM tracks WHERE source = ?",
            (source,),
        )
        return {r[1]: FileState(r[0], r[2], r[3], r[4], r[5], float(r[6] or 0.0), r[7], r[8]) for r in rows}

    def analysed_by_hash(self, content_hash: str) -> tuple[dict[str, float], dict[str, float]] | None:
        """Features and Track values of an analysed track with this content (a moved or copied file)."""
        rows = self.db.query(
            "SELECT t.valence, t.arousal, t.energy, t.tempo, t.loudness_lufs, t.mode, t.brightness, f.data"
            " FROM tracks t JOIN features f ON f.id = t.id WHERE t.content_hash = ? AND t.status='analysed'"
            " LIMIT 1",
            (content_hash,),
        )
        if not rows:
            return None
        values = {c: float(rows[0][i]) for i, c in enumerate(FEATURE_COLUMNS)}
        return json.loads(rows[0][7]), values

    def pending(self, source: str = "local") -> list[str]:
        return [
            r[0]
            for r in self.db.query(
                "SELECT location FROM tracks WHERE status='pending' AND source=?", (source,)
            )
        ]

    def features(self, track_id: str) -> dict[str, float] | None:
        rows = self.db.query("SELECT data FROM features WHERE id = ?", (track_id,))
        return json.loads(rows[0][0]) if rows else None

    def stats(self) -> dict[str, Any]:
        """Counts by status, failures with reasons, scan problems: what `library stats` shows.

        Files kept out as shorter than library.min_track_s (status `short`) count among the `failed`
        and are listed in `failures` (with their status): recommend.hybrid and `library stats --json`
        read them so since before the status existed; `short` says how many of the failed they are."""
        counts = {r[0]: r[1] for r in self.db.query("SELECT status, COUNT(*) FROM tracks GROUP BY status")}
        failed = self.db.query(
            "SELECT location, error, status FROM tracks WHERE status IN ('failed', 'short') ORDER BY location"
        )
        problems = self.db.query("SELECT path, kind, reason FROM problems ORDER BY path")
        sources = {r[0]: r[1] for r in self.db.query("SELECT source, COUNT(*) FROM tracks GROUP BY source")}
        hours = self.db.query("SELECT COALESCE(SUM(duration_s), 0) FROM tracks WHERE status='analysed'")
        stats = empty_stats()
        stats.update(
            tracks=sum(counts.values()),
            analysed=counts.get("analysed", 0),
            pending=counts.get("pending", 0),
            failed=counts.get("failed", 0) + counts.get("short", 0),
            short=counts.get("short", 0),
            hours=float(hours[0][0]) / 3600.0,
            sources=sources,
            change_counter=self.change_counter(),
            failures=[{"path": r[0], "reason": r[1], "status": r[2]} for r in failed],
            problems=[{"path": r[0], "kind": r[1], "reason": r[2]} for r in problems],
        )
        return stats

    def changes_since(self, counter: int, limit: int = 5000) -> dict[str, Any]:
        """Analysed tracks changed after `counter`, ids removed since, and the counter to ask from next.

        Rows come in change order; with `more` set the client asks again from `next`.
        """
        probe = self.db.query(
            "SELECT changed FROM tracks WHERE changed > ? AND status='analysed'"
            " ORDER BY changed LIMIT 1 OFFSET ?",
            (counter, limit),
        )
        current = self.change_counter()
        more = bool(probe)
        if more:  # stop before the change number that would overflow the page (never split one)
            first = self.db.query("SELECT MIN(changed) FROM tracks WHERE changed > ?", (counter,))[0][0]
            upto = max(int(probe[0][0]) - 1, int(first))
        else:
            upto = current
        rows = self.db.query(
            f"SELECT {_TRACK_COLS} FROM tracks WHERE changed > ? AND changed <= ? AND status='analysed'"
            " ORDER BY changed, id",
            (counter, upto),
        )
        removed = [r[0] for r in self.db.query(
            "SELECT id FROM removed WHERE changed > ? AND changed <= ?", (counter, upto))]  # fmt: skip
        # a track that failed re-analysis is gone for clients too
        removed += [r[0] for r in self.db.query(
            "SELECT id FROM tracks WHERE changed > ? AND changed <= ? AND status != 'analysed'",
            (counter, upto))]  # fmt: skip
        more = upto < current
        tracks = [track_row(_row_to_track(r)) for r in rows]
        return {"tracks": tracks, "removed": removed, "next": upto, "more": more}

    # -- writing -------------------------------------------------------------------------------
    @contextmanager
    def batch(self, now: float | None = None) -> Iterator[Batch]:
        """One transaction of writes; the change counter moves by one for the whole batch."""
        with self.db.transaction() as conn:
            change = int(conn.execute("SELECT value FROM meta WHERE key='change_counter'").fetchone()[0]) + 1
            conn.execute("UPDATE meta SET value=? WHERE key='change_counter'", (str(change),))
            yield Batch(conn, change, time.time() if now is None else now)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> LibraryIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def empty_stats() -> dict[str, Any]:
    """`LibraryIndex.stats` of a library with nothing in it: what `library stats --json` prints before
    anything was indexed (without opening an index, which would create one).  One list of the keys,
    so the two cannot drift apart; a new dict each time, as its lists are filled in."""
    return {
        "tracks": 0, "analysed": 0, "pending": 0, "failed": 0, "short": 0, "hours": 0.0, "sources": {},
        "change_counter": 0, "failures": [], "problems": [],
    }  # fmt: skip


def nearest(
    matrix: np.ndarray, target: Mapping[str, float], k: int, weights: Mapping[str, float] | None = None
) -> list[tuple[int, float]]:
    """Row indices and distances of the k rows nearest to `target` (pure; see LibraryIndex.query)."""
    if k <= 0 or matrix.shape[0] == 0:
        return []
    unknown = set(target) - set(FEATURE_COLUMNS)
    if unknown:
        raise ValueError(f"unknown feature(s) in query target: {sorted(unknown)}; known: {FEATURE_COLUMNS}")
    dist = np.zeros(matrix.shape[0], dtype=np.float32)
    for name, value in target.items():
        w = 1.0 if weights is None else float(weights.get(name, 1.0))
        if w == 0 or not math.isfinite(float(value)):
            continue
        col = FEATURE_COLUMNS.index(name)
        diff = (matrix[:, col] - np.float32(value)) * np.float32(math.sqrt(w) / COLUMN_SCALES[name])
        dist += diff * diff
    k = min(k, matrix.shape[0])
    idx = np.argpartition(dist, k - 1)[:k] if k < matrix.shape[0] else np.arange(matrix.shape[0])
    idx = idx[np.argsort(dist[idx], kind="stable")]
    return [(int(i), float(math.sqrt(float(dist[i])))) for i in idx]


__all__ = [
    "COLUMN_SCALES",
    "EXTRA_KEYS",
    "FEATURE_COLUMNS",
    "Batch",
    "FileState",
    "LibraryIndex",
    "Tags",
    "empty_stats",
    "nearest",
    "track_id",
]
