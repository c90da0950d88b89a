"""OpenSubsonic source against a small server written here to the published API (subsonickit)."""

from __future__ import annotations

from pathlib import Path

import pytest
import synth

from moodspeaker.library.lan.client import LanError, LanLibrary
from moodspeaker.library.lan.sources import open_remote
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from subsonickit import Songs, serve


@pytest.fixture
def songs(tmp_path: Path) -> Songs:
    happy = synth.write(tmp_path / "1.flac", synth.song("happy"))
    return {
        "s1": {"title": "Happy", "artist": "Synth", "album": "A", "duration": 6, "suffix": "flac",
               "replayGain": {"trackGain": -4.5}, "path": happy},
        "s2": {"title": "Sad", "artist": "Synth", "album": "A", "duration": 6, "suffix": "flac",
               "path": synth.write(tmp_path / "2.flac", synth.song("sad"))},
        "s3": {"title": "Tone", "artist": "Synth", "album": "B", "duration": 4, "suffix": "flac",
               "path": synth.write(tmp_path / "3.flac", synth.chord(synth.C_MAJOR, 4.0))},
    }  # fmt: skip


def test_sync_analyses_new_songs_and_drops_removed(tmp_path: Path, songs: Songs, pool: AnalysisPool) -> None:
    srv = serve(songs, page_cap=2)
    lib = SubsonicLibrary(f"http://alice:s3cret@127.0.0.1:{srv.server_port}", tmp_path / "cache")
    first = lib.sync(pool)
    assert (first.listed, first.analysed, first.failed) == (3, 3, [])
    by_title = {t.title: t for t in lib.tracks()}
    assert set(by_title) == {"Happy", "Sad", "Tone"}
    happy, sad = by_title["Happy"], by_title["Sad"]
    assert happy.replaygain_db == -4.5 and happy.source.startswith("subsonic:")
    assert happy.tempo == pytest.approx(140, rel=0.05) and (happy.mode, sad.mode) == (1, 0)
    assert "s3cret" not in happy.location and lib.song_of(happy.location) is not None
    assert lib.query({"tempo": 70.0}, k=1)[0][0].title == "Sad"
    # nothing new: nothing downloaded or analysed again
    assert lib.sync(pool).analysed == 0
    del songs["s2"]["path"]  # removed on the server
    third = lib.sync(pool)
    assert third.removed == 1 and {t.title for t in lib.tracks()} == {"Happy", "Tone"}
    srv.stop()
    with pytest.raises(LanError):
        lib.sync(pool)
    assert {t.title for t in lib.tracks()} == {"Happy", "Tone"}  # the mirror survives the outage
    lib.close()


def test_wrong_password_and_garbage(tmp_path: Path, songs: Songs, pool: AnalysisPool) -> None:
    srv = serve(songs)
    url = f"http://alice:wrong@127.0.0.1:{srv.server_port}"
    lib = SubsonicLibrary(url, tmp_path / "cache")
    with pytest.raises(LanError, match="40: Wrong username or password"):
        lib.sync(pool)
    assert lib.tracks() == [] and "40" in (lib.last_error or "")
    lib.close()
    # a song whose audio is not audio: recorded as failed, the others are analysed
    (tmp_path / "junk.flac").write_bytes(b"not a flac at all" * 100)
    songs["s4"] = {"title": "Junk", "suffix": "flac", "path": tmp_path / "junk.flac"}
    ok = SubsonicLibrary(f"http://alice:s3cret@127.0.0.1:{srv.server_port}", tmp_path / "cache2")
    result = ok.sync(pool)
    assert result.analysed == 3 and [sid for sid, _ in result.failed] == ["s4"]
    assert any(p["kind"] == "analysis" for p in ok.cache.stats()["problems"])
    ok.close()
    srv.stop()
    with pytest.raises(ValueError, match="user"):
        SubsonicLibrary("http://nas:4533", tmp_path)


def test_open_remote_picks_the_client(tmp_path: Path) -> None:
    sub = open_remote("subsonic+http://bob:pw@nas.local:4533", tmp_path)
    assert isinstance(sub, SubsonicLibrary) and sub.base_url == "http://nas.local:4533"
    lan = open_remote("http://nas.local:8765", tmp_path)
    assert isinstance(lan, LanLibrary)
    with pytest.raises(ValueError):
        open_remote("nas.local", tmp_path)
    sub.close()
    lan.close()
