"""An OpenSubsonic song the sync could not download is noted until it downloads or leaves the server.

Why: a song whose analysis failed, or that was refused for its size, is noted in the mirror's
problems (`library stats` lists them), but one whose download for its analysis failed (the server
answered an error for it, the connection broke) left no note: the listener never learned why the
song was missing from the speaker's picks.  Now it is noted (`UNFETCHED`) like the others, the note
deleted once a later sync downloads and analyses it, or once the song is gone from the server.  The
OpenSubsonic server of subsonickit on the loopback (a song whose file is a folder is listed, and its
stream fails), a real analysis pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import synth
from lankit import tone_song

from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.lan.subsonicsongs import UNFETCHED
from moodspeaker.library.workers import AnalysisPool
from subsonickit import Songs, Subsonic, served


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    music = tmp_path / "music"
    songs: Songs = {
        "s1": tone_song(music / "1.flac", "Tone", duration=2),
        # listed, but its "file" is a folder: its stream fails (the server answers 500)
        "s2": {"title": "Lost", "artist": "Synth", "duration": 2, "suffix": "flac", "path": music / "2.flac"},
    }
    (music / "2.flac").mkdir()
    with served(songs) as srv:
        yield srv


def _notes(lib: SubsonicLibrary) -> list[tuple[str, str]]:
    return [(p["path"], p["kind"]) for p in lib.cache.stats()["problems"]]


def test_a_failed_download_is_noted_until_the_song_downloads(
    server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    first = lib.sync(pool)
    assert first.analysed == 1 and [sid for sid, _ in first.failed] == ["s2"]
    assert _notes(lib) == [(f"{lib.source}/s2", UNFETCHED)], "the failed download left no note"
    [note] = lib.cache.stats()["problems"]
    assert "stream of s2" in note["reason"]

    server.songs["s2"]["path"].rmdir()  # its file is back
    synth.write(server.songs["s2"]["path"], synth.chord(synth.C_MAJOR, 2.0, amp=0.1))
    second = lib.sync(pool)
    assert second.analysed == 1 and second.failed == []
    assert _notes(lib) == [], "the note stayed after the song downloaded"
    assert {t.title for t in lib.tracks()} == {"Tone", "Lost"}


def test_a_failed_downloads_note_goes_with_the_song(
    server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    assert [sid for sid, _ in lib.sync(pool).failed] == ["s2"]
    assert _notes(lib) == [(f"{lib.source}/s2", UNFETCHED)]
    del server.songs["s2"]["path"]  # gone from the server (never mirrored: no fingerprint kept)
    assert lib.sync(pool).failed == []
    assert _notes(lib) == [], "the note of a song gone from the server stayed"


def test_a_songs_note_is_its_own(
    tmp_path: Path, server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    """Song ids are opaque strings: the note of song "1" is not "10"'s, nor is "a"'s "a/b"'s (a note
    was deleted as a folder's, with every path under it: Batch.clear_problems)."""
    music = tmp_path / "music"
    for sid in ("1", "10", "a", "a/b"):  # each listed, each failing as s2 does
        (music / f"id-{sid.replace('/', '-')}.flac").mkdir()
        server.songs[sid] = {
            "title": sid,
            "artist": "Synth",
            "suffix": "flac",
            "path": music / f"id-{sid.replace('/', '-')}.flac",
        }
    lib.sync(pool)
    assert {p for p, kind in _notes(lib) if kind == UNFETCHED} == {
        f"{lib.source}/{sid}" for sid in ("s2", "1", "10", "a", "a/b")
    }
    for sid in ("1", "a"):  # these download now
        server.songs[sid]["path"].rmdir()
        synth.write(server.songs[sid]["path"], synth.chord(synth.C_MAJOR, 2.0))
    assert lib.sync(pool).analysed == 2
    noted = {p for p, _ in _notes(lib)}
    assert noted == {f"{lib.source}/{sid}" for sid in ("s2", "10", "a/b")}, "another song's note went"
