"""Files kept out as shorter than library.min_track_s have a status of their own, `short`.

Why: they were `failed` rows told apart by the first words of their reason, in three places (an SQL
`substr`, the indexer, `library stats`); a reworded reason would have turned ringtones into failures
to look into, and retried them with `--retry-failed`.  A database written by the previous version
(made with that version's schema, as it was: oldlibrary.SCHEMA_1) is migrated: its "too short"
failures become `short`, every other row and the analyses stay as they were.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import synth
from oldlibrary import SCHEMA_1

from moodspeaker.cli import main
from moodspeaker.library.db import SCHEMA_VERSION
from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool

RING_REASON = "too short for music: 1.0 s, under library.min_track_s (2 s)"  # as version 1 wrote it
BROKEN_REASON = "audio too short to analyse"  # a real failure, "too short" in its words but not first


@pytest.fixture
def music(tmp_path: Path) -> Path:
    """A 4-second song, a 1-second ringtone and a file that is no audio (tests use seconds)."""
    folder = tmp_path / "music"
    synth.write(folder / "song.wav", synth.song("happy", 4.0))
    synth.write(folder / "ring.wav", synth.song("happy", 1.0))
    (folder / "broken.mp3").write_bytes(np.random.default_rng(3).bytes(50000))
    return folder


def _old_database(path: Path, music: Path) -> None:
    """A library.db as version 1 left it after indexing `music` with library.min_track_s = 2: the song
    analysed, the ringtone failed as too short, the broken file failed; plus a problem and a tombstone."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_1)
    rows = [("song.wav", 4.0, "analysed", ""), ("ring.wav", 1.0, "failed", RING_REASON),
            ("broken.mp3", 0.0, "failed", BROKEN_REASON)]  # fmt: skip
    for name, length, status, error in rows:
        where = str(music / name)
        st = os.stat(where)
        conn.execute(
            "INSERT INTO tracks (id, location, title, duration_s, size, mtime_ns, status, error, valence,"
            " arousal, energy, tempo, loudness_lufs, mode, brightness, changed)"
            " VALUES (?,?,?,?,?,?,?,?,0.5,0.5,0.7,140,-12,1,0.6,1)",
            (track_id(where), where, Path(name).stem, length, st.st_size, st.st_mtime_ns, status, error),
        )
    conn.execute(
        "INSERT INTO features VALUES (?, '{\"tempo\": 140.0}')", (track_id(str(music / "song.wav")),)
    )
    conn.execute("INSERT INTO problems VALUES (?, 'unreadable', 'permission denied', 1.0)", (str(music),))
    conn.execute("INSERT INTO removed VALUES ('gone', 1)")
    conn.execute("UPDATE meta SET value='1' WHERE key='change_counter'")
    conn.commit()
    conn.close()


def test_a_version_1_database_is_migrated(tmp_path: Path, music: Path) -> None:
    db = tmp_path / "library.db"
    _old_database(db, music)
    song, ring, broken = (str(music / n) for n in ("song.wav", "ring.wav", "broken.mp3"))
    with LibraryIndex(db) as index:
        states = index.file_states()
        assert {Path(k).name: (s.status, s.error) for k, s in states.items()} == {
            "song.wav": ("analysed", ""), "ring.wav": ("short", RING_REASON),
            "broken.mp3": ("failed", BROKEN_REASON)}  # fmt: skip
        assert states[ring].duration_s == 1.0 and states[ring].size == os.stat(ring).st_size
        assert [t.location for t in index.tracks()] == [song]
        assert index.features(track_id(song)) == {"tempo": 140.0}  # not emptied with the old table
        assert index.change_counter() == 1
        stats = index.stats()
        assert (stats["tracks"], stats["failed"], stats["short"]) == (3, 2, 1), stats
        assert stats["problems"] == [
            {"path": str(music), "kind": "unreadable", "reason": "permission denied"}
        ]
        assert set(index.changes_since(0)["removed"]) == {"gone", track_id(broken), track_id(ring)}
        with index.batch() as b:  # the foreign key still holds: a removed track takes its features along
            b.remove(song)
        assert index.features(track_id(song)) is None
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'tracks'")}
    assert {"tracks", "tracks_status", "tracks_changed", "tracks_hash"} <= names
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):  # still a checked list of statuses
        conn.execute("UPDATE tracks SET status='kept out'")
    conn.close()


def test_a_version_1_database_with_an_orphaned_analysis_is_migrated(
    tmp_path: Path, music: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A features row whose track was deleted with foreign keys off (garbage: the analysis of a
    track no longer there) failed the migration's foreign-key check at every open, so the library
    never opened.  The migration deletes it, as the key's cascade would have, says so, and goes on;
    it still fails on a key it breaks itself (test_a_version_1_database_is_migrated: the features
    stay with their tracks)."""
    db = tmp_path / "library.db"
    _old_database(db, music)
    conn = sqlite3.connect(db)  # foreign keys off, as sqlite3 has them by default
    conn.execute("INSERT INTO features VALUES ('deleted-track', '{\"tempo\": 90.0}')")
    conn.commit()
    conn.close()
    with LibraryIndex(db) as index:
        assert index.features("deleted-track") is None
        assert index.features(track_id(str(music / "song.wav"))) == {"tempo": 140.0}
        assert len(index.file_states()) == 3
    assert "deleted the analyses of 1 tracks no longer in the library" in caplog.text
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_a_migration_that_fails_changes_nothing(tmp_path: Path, music: Path) -> None:
    """Each migration is one transaction: one that fails late, after it dropped the old table and
    renamed the rebuilt one into place (here: a view in the way of the index it creates last),
    leaves the version-1 database as it was, readable by version 1.  A failure at its first
    statement would prove nothing: nothing had changed yet."""
    db = tmp_path / "library.db"
    _old_database(db, music)
    conn = sqlite3.connect(db)
    conn.executescript("DROP INDEX tracks_status; CREATE VIEW tracks_status AS SELECT 1;")
    schema = sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall())
    rows = conn.execute("SELECT * FROM tracks ORDER BY id").fetchall()
    conn.close()
    with pytest.raises(sqlite3.OperationalError, match="tracks_status"):
        LibraryIndex(db)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert sorted(conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()) == schema
    assert conn.execute("SELECT * FROM tracks ORDER BY id").fetchall() == rows  # no 'short' status
    statuses = sorted(r[0] for r in conn.execute("SELECT status FROM tracks"))
    assert statuses == ["analysed", "failed", "failed"]
    assert conn.execute("SELECT COUNT(*) FROM features").fetchone()[0] == 1
    conn.close()


def test_migrated_short_file_is_counted_not_retried(tmp_path: Path, music: Path, pool: AnalysisPool) -> None:
    """The scan reads the status: the migrated ringtone is counted as too short, unchanged, and a
    `--retry-failed` scan tries the broken file again but not the ringtone."""
    db = tmp_path / "library.db"
    _old_database(db, music)
    with LibraryIndex(db) as index:
        again = Indexer(index, pool, min_track_s=2.0).scan([str(music)])
        assert (again.short, again.skipped, again.analysed, again.failed) == (1, 2, 0, [])
        tried: list[str] = []
        retried = Indexer(index, pool, min_track_s=2.0).scan(
            [str(music)], retry_failed=True, on_done=lambda path, error: tried.append(Path(path).name)
        )
        assert tried == ["broken.mp3"]
        assert (retried.short, retried.analysed, len(retried.failed)) == (1, 0, 1), retried


def test_library_stats_counts_migrated_short_files_apart(
    tmp_path: Path, music: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    _old_database(data / "library.db", music)
    assert main(["--set", f"device.data_dir={data}", "library", "stats"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "tracks: 3 (1 analysed, 0 pending, 1 failed, 1 too short), 0.0 hours of music" in lines, lines
    failed = lines.index("failed:")
    assert lines[failed + 1] == f"  {music / 'broken.mp3'}: {BROKEN_REASON}", lines
    heading = "too short (not analysed; a lower library.min_track_s indexes them at the next scan):"
    short = lines.index(heading)
    assert lines[short + 1 : short + 3] == [
        f"  {music / 'ring.wav'}: {RING_REASON}",
        "problems found while scanning:",
    ]


def test_a_short_file_grown_past_the_minimum_is_analysed(tmp_path: Path, pool: AnalysisPool) -> None:
    """A ringtone replaced by a whole song under the same name is music again at the next scan."""
    music = tmp_path / "music"
    synth.write(music / "ring.wav", synth.song("happy", 1.0))
    index = LibraryIndex(tmp_path / "lib.db")
    first = Indexer(index, pool, min_track_s=2.0).scan([str(music)])
    assert (first.short, first.analysed, index.stats()["short"]) == (1, 0, 1)
    synth.write(music / "ring.wav", synth.song("happy", 4.0))
    grown = Indexer(index, pool, min_track_s=2.0).scan([str(music)])
    assert (grown.short, grown.analysed, grown.updated, grown.problems) == (0, 1, 1, []), grown
    assert [Path(t.location).name for t in index.tracks()] == ["ring.wav"]
    stats = index.stats()
    assert (stats["analysed"], stats["failed"], stats["short"]) == (1, 0, 0), stats
    index.close()
