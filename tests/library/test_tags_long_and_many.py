"""Tags as a real household's files carry them: a title or artist of 100,000 characters went whole
into the index (and from there the page, /api/state and MQTT), and of two ARTIST values only the
first was kept ("Alice" of Alice and Bob)."""

from __future__ import annotations

import shutil
from pathlib import Path

import mutagen
import pytest
import synth
from mutagen.id3 import TIT2, TPE1

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.tags import MAX_TAG_CHARS, read_tags
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.recommend.source import CatalogueView, song_key

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def _indexed(tmp_path: Path, pool: AnalysisPool, music: Path) -> LibraryIndex:
    index = LibraryIndex(tmp_path / "lib.db")
    summary = Indexer(index, pool).scan([str(music)])
    assert summary.failed == []
    return index


def test_a_huge_title_and_artist_are_stored_cut(tmp_path: Path, pool: AnalysisPool) -> None:
    music = tmp_path / "music"
    song = synth.write(music / "huge.flac", synth.song("happy", 3.0))
    synth.tag(song, title="T" * 95_999, artist="Band " * 40_000, album="ok")
    (track,) = _indexed(tmp_path, pool, music).tracks()
    assert len(track.title) == MAX_TAG_CHARS == 512
    assert track.title == "T" * 511 + "…"
    assert len(track.artist) <= MAX_TAG_CHARS
    assert track.artist.startswith("Band Band ") and track.artist.endswith("…")
    assert track.album == "ok"


def test_many_short_values_are_cut_too(tmp_path: Path) -> None:
    song = synth.write(tmp_path / "many.ogg", synth.song("happy", 2.0))
    synth.tag(song, artist=[f"Artist {n}" for n in range(50_000)])
    artist = read_tags(song).artist
    assert len(artist) <= MAX_TAG_CHARS
    assert artist.startswith("Artist 0; Artist 1; Artist 2") and artist.endswith("…")


@pytest.mark.parametrize("suffix", [".flac", ".mp3", ".m4a"])
def test_two_artists_are_both_kept(tmp_path: Path, suffix: str) -> None:
    song = synth.write(tmp_path / f"duet{suffix}", synth.song("happy", 2.0))
    synth.tag(song, title="Duet", artist=["Alice", "Bob"])
    assert mutagen.File(str(song), easy=True)["artist"] == ["Alice", "Bob"]  # two values in the file
    tags = read_tags(song)
    assert (tags.title, tags.artist) == ("Duet", "Alice; Bob")


def test_a_wav_files_id3_frame_with_two_artists(tmp_path: Path) -> None:
    """A WAV file's plain ID3 chunk (frame ids, no easy names): its TPE1 frame's two values came out
    as "Alice\\x00Bob" before (the frame's str), or with a huge title whole."""
    song = synth.write(tmp_path / "duet.wav", synth.song("happy", 2.0))
    f = mutagen.File(str(song))
    f.add_tags()
    f.tags.add(TPE1(encoding=3, text=["Alice", "Bob"]))  # type: ignore[no-untyped-call]  # untyped in mutagen
    f.tags.add(TIT2(encoding=3, text=["X" * 100_000]))  # type: ignore[no-untyped-call]  # untyped in mutagen
    f.save()
    tags = read_tags(song)
    assert tags.artist == "Alice; Bob"
    assert tags.title == "X" * (MAX_TAG_CHARS - 1) + "…"


def test_alice_with_bob_and_alice_alone_are_one_artist_to_the_diversity_rule(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    music = tmp_path / "music"
    duet = synth.write(music / "duet.flac", synth.song("happy", 3.0))
    solo = synth.write(music / "solo.flac", synth.song("happy", 3.0))
    other = synth.write(music / "other.flac", synth.song("happy", 3.0))
    synth.tag(duet, title="Song", artist=["Alice", "Bob"])
    synth.tag(solo, title="Song", artist="Alice")
    synth.tag(other, title="Song", artist="Bob")
    index = _indexed(tmp_path, pool, music)
    ids, matrix = index.feature_matrix()
    view = CatalogueView(ids, matrix, index.tracks())
    by_name = {Path(t.location).stem: view.row[t.id] for t in view.tracks}
    assert view.tracks[by_name["duet"]].artist == "Alice; Bob"
    # the primary artist for "no artist twice in a row": Alice with Bob follows Alice alone as Alice
    assert view.artists[by_name["duet"]] == view.artists[by_name["solo"]] != view.artists[by_name["other"]]
    assert view.artist_code["alice"] == view.artists[by_name["solo"]]
    # the full credit for "the same song twice": the duet is not Alice's solo song of the same name
    assert song_key(view.tracks[by_name["duet"]]) == ("alice; bob", "song")
    assert view.twins == {}
