"""LibraryIndex: storage, status, the feature matrix, top-k queries, change tracking, migrations."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from moodspeaker.library.db import SCHEMA_VERSION, SchemaError, migrate
from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, nearest, track_id


def _values(
    *,
    valence: float = 0.0,
    arousal: float = 0.0,
    energy: float = 0.5,
    tempo: float = 120.0,
    loudness: float = -14.0,
    mode: float = 1,
    brightness: float = 0.5,
) -> dict[str, float]:
    return dict(
        zip(FEATURE_COLUMNS, (valence, arousal, energy, tempo, loudness, mode, brightness), strict=True)
    )


def _add(index: LibraryIndex, location: str, title: str = "t", **values: float) -> None:
    with index.batch() as b:
        b.upsert_file(location, 10, 1, "hash-" + location, Tags(title, "artist", "album", 200.0, -3.5))
        b.set_analysed(location, {"key": 2.0, "onset_rate": 3.0, "mfcc0": 1.0}, _values(**values))


def test_store_and_read_tracks(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    _add(index, "/music/a.flac", "A", valence=0.8, arousal=0.5, tempo=140.0, mode=0)
    _add(index, "/music/b.ogg", "B", valence=-0.6)
    with index.batch() as b:
        b.upsert_file("/music/c.mp3", 10, 1, "h", Tags("C"))  # pending: not playable yet
    tracks = {t.title: t for t in index.tracks()}
    assert set(tracks) == {"A", "B"}
    a = index.get(track_id("/music/a.flac"))
    assert a is not None and a == tracks["A"]
    assert (a.valence, a.arousal, a.tempo, a.mode, a.replaygain_db) == (0.8, 0.5, 140.0, 0, -3.5)
    assert a.extra == {"key": 2.0, "onset_rate": 3.0}  # the compact subset; full set in features()
    assert index.features(a.id) == {"key": 2.0, "onset_rate": 3.0, "mfcc0": 1.0}
    assert index.get(track_id("/music/c.mp3")) is None
    assert index.get("nope") is None
    stats = index.stats()
    assert (stats["tracks"], stats["analysed"], stats["pending"]) == (3, 2, 1)


def test_feature_matrix_and_query(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    for i, v in enumerate(np.linspace(-1, 1, 9)):
        _add(index, f"/m/{i}.mp3", f"t{i}", valence=float(v), arousal=float(-v))
    ids, x = index.feature_matrix()
    assert x.dtype == np.float32 and x.shape == (9, len(FEATURE_COLUMNS))
    assert len(ids) == 9
    hits = index.query({"valence": 0.5, "arousal": -0.5}, k=3)
    assert hits[0][0].title == "t6"  # valence 0.5
    assert [d for _, d in hits] == sorted(d for _, d in hits)
    assert hits[0][1] == pytest.approx(0.0, abs=1e-6)
    # weights: ignoring valence, arousal alone decides
    only_arousal = index.query({"valence": 1.0, "arousal": 1.0}, k=1, weights={"valence": 0.0})
    assert only_arousal[0][0].title == "t0"
    with pytest.raises(ValueError, match="unknown feature"):
        index.query({"danceability": 1.0}, k=1)
    # the cached matrix follows later writes
    _add(index, "/m/new.mp3", "new", valence=0.51, arousal=-0.49)
    assert len(index.feature_matrix()[0]) == 10
    assert index.query({"valence": 0.51, "arousal": -0.49}, k=1)[0][0].title == "new"


def test_nearest_is_exact_against_brute_force() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(500, len(FEATURE_COLUMNS))).astype(np.float32)
    target = {"valence": 0.2, "energy": 0.1}
    got = [i for i, _ in nearest(x, target, 7)]
    d = ((x[:, 0] - 0.2) / 2) ** 2 + (x[:, 2] - 0.1) ** 2
    assert got == list(np.argsort(d)[:7])
    assert nearest(x, target, 0) == []
    assert len(nearest(x, target, 1000)) == 500


def test_changes_since_pages_and_removals(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    for i in range(5):
        _add(index, f"/m/{i}.mp3", f"t{i}")
    first = index.changes_since(0, limit=2)
    assert first["more"] and len(first["tracks"]) <= 2
    seen = {t["id"] for t in first["tracks"]}
    cursor = first["next"]
    while True:
        page = index.changes_since(cursor, limit=2)
        seen |= {t["id"] for t in page["tracks"]}
        cursor = page["next"]
        if not page["more"]:
            break
    assert len(seen) == 5
    with index.batch() as b:
        b.remove("/m/0.mp3")
        b.set_failed("/m/1.mp3", "decoder said no")
    later = index.changes_since(cursor)
    assert set(later["removed"]) == {track_id("/m/0.mp3"), track_id("/m/1.mp3")}
    assert later["tracks"] == [] and not later["more"]


def test_failed_batch_leaves_nothing(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    _add(index, "/m/keep.mp3", "keep")
    counter = index.change_counter()
    with pytest.raises(RuntimeError), index.batch() as b:
        b.upsert_file("/m/half.mp3", 1, 1, "h", Tags("half"))
        raise RuntimeError("crash in the middle of a batch")
    assert index.change_counter() == counter
    assert [t.title for t in index.tracks()] == ["keep"]
    assert index.stats()["tracks"] == 1


def test_schema_version_and_newer_database(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    LibraryIndex(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaError, match="newer") as caught:
        LibraryIndex(path)
    # what `moodspeaker index` and `library` print: which file, of which schema, and what to do
    said = str(caught.value)
    assert (
        str(path) in said and f"schema {SCHEMA_VERSION + 1}" in said and f"schema {SCHEMA_VERSION} " in said
    )
    assert "Upgrade Moodspeaker" in said and "move the file away" in said
    conn = sqlite3.connect(path)  # left as it was
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    conn.close()


def test_two_processes_migrating_at_once_apply_each_migration_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A service and a `library stats` opening an older database together: the second to take the write
    lock finds the migrations done by the first (here: done while it waits for the lock, from the
    trace hook of its first BEGIN), where it applied them again and failed ("table meta already
    exists")."""
    path = tmp_path / "lib.db"
    first = sqlite3.connect(path, isolation_level=None)
    second = sqlite3.connect(path, isolation_level=None)
    caught_up: list[int] = []

    def meanwhile(statement: str) -> None:
        if statement.startswith("BEGIN") and not caught_up:
            caught_up.append(migrate(second))

    first.set_trace_callback(meanwhile)
    with caplog.at_level(logging.INFO, logger="moodspeaker.library.db"):
        assert migrate(first) == SCHEMA_VERSION
    assert caught_up == [SCHEMA_VERSION]
    applied = [r.getMessage() for r in caplog.records if "applying migration" in r.getMessage()]
    assert applied == [f"library database: applying migration {n}" for n in range(1, SCHEMA_VERSION + 1)]
    assert first.execute("SELECT value FROM meta").fetchall() == [("0",)]
    first.close()
    second.close()
