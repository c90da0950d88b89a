"""A track's sample peak (Track.peak) goes from the analysis into the index, survives in a database
written before it (migration 3, which takes it from the stored analysis), and reaches a speaker
mirroring a LAN server; playback caps a loudness boost with it (tests/player/test_loudness_peak.py).
Real analysis, real sqlite, a real LibraryServer and LanLibrary over the loopback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import synth
from oldlibrary import version_2_library

from moodspeaker.library.analysis import analyse_file
from moodspeaker.library.db import SCHEMA_VERSION
from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id
from moodspeaker.library.lan.client import LanLibrary, validate_row
from moodspeaker.library.lan.server import LibraryServer

VALUES = dict(zip(FEATURE_COLUMNS, (0.2, 0.1, 0.5, 120.0, -20.0, 1, 0.4), strict=True))


def test_the_analysis_reads_the_peak_of_the_channels(tmp_path: Path) -> None:
    """The analysis's older `peak` is of the mono mix, which is lower wherever the channels differ:
    a boost capped with it could still reach the limiter.  `peak_channels` is the largest sample."""
    y = synth.song("happy", 6.0)
    left = (0.8 * y / np.abs(y).max()).astype(np.float32)
    sf.write(str(tmp_path / "wide.wav"), np.stack([left, -0.25 * left], 1), synth.SR, subtype="FLOAT")
    features = analyse_file(tmp_path / "wide.wav").features
    assert features["peak_channels"] == pytest.approx(0.8, abs=1e-3)
    assert features["peak"] < 0.5
    with LibraryIndex(tmp_path / "library.db") as index:
        with index.batch() as b:
            b.upsert_file(str(tmp_path / "wide.wav"), 1, 1, "h", Tags("wide"))
            b.set_analysed(str(tmp_path / "wide.wav"), features, VALUES)
        track = index.get(track_id(str(tmp_path / "wide.wav")))
    assert track is not None and track.peak == pytest.approx(0.8, abs=1e-3)


def test_a_version_2_database_takes_the_peaks_of_its_analyses(tmp_path: Path) -> None:
    """Its tracks stay; each takes the peak its stored analysis holds; one without an analysis to
    read (a LAN mirror's row) or with one that is not JSON or holds no number has none, and the
    library still opens (a failed migration would keep it shut at every start)."""
    db = tmp_path / "library.db"
    analyses = {"kept": '{"peak": 0.5, "tempo": 120.0}', "mirror": None, "garbled": "{not json",
                "nan": '{"peak": NaN}', "text": '{"peak": "loud"}', "zero": '{"peak": 0}'}  # fmt: skip
    version_2_library(db, [(track_id(name), name, name, data) for name, data in analyses.items()])
    with LibraryIndex(db) as index:
        peaks = {t.title: t.peak for t in index.tracks()}
        assert index.features(track_id("kept")) == {"peak": 0.5, "tempo": 120.0}
        # the track given a peak is sent to LAN clients again (migration 4), the others are not
        assert [t["title"] for t in index.changes_since(1)["tracks"]] == ["kept"]
    assert peaks == {"kept": 0.5, "mirror": None, "garbled": None, "nan": None, "text": None, "zero": None}
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_a_lan_speaker_mirrors_the_peak(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "server.db")
    path = synth.write(tmp_path / "music" / "song.wav", synth.chord(synth.C_MAJOR, 1.0))
    with index.batch() as b:
        b.upsert_file(str(path), path.stat().st_size, 1, "h", Tags("song", "Artist"))
        b.set_analysed(str(path), {"key": 3.0, "peak_channels": 0.7}, VALUES)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    lan = LanLibrary(server.url, tmp_path / "cache")
    try:
        assert lan.sync().updated == 1
        mirrored = lan.get(track_id(str(path)))
        assert mirrored is not None and mirrored.peak == 0.7
    finally:
        lan.close()
        server.stop()
        index.close()


def test_a_row_without_a_usable_peak_is_mirrored_without_one(tmp_path: Path) -> None:
    """A server of a version before the peak sends none: the row is still valid and the track plays
    as before (no peak); a peak that is no positive number is none either."""
    tid = "0123456789abcdef"
    row = {"id": tid, "title": "t", "artist": "a", "location": "http://x/t", **VALUES}
    with LibraryIndex(tmp_path / "mirror.db") as mirror:
        for peak in (None, "loud", float("nan"), -1.0, 0.0, True):
            sent = dict(row) if peak is None else {**row, "peak": peak}
            assert validate_row(sent) is None
            with mirror.batch() as b:
                b.put_remote(sent, "lan:test")
            track = mirror.get(tid)
            assert track is not None and track.peak is None, peak
