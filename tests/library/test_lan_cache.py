"""The speaker's downloaded audio from a LAN library server: bounded, and never what is gone or stale.

Why: the mirror kept every file it ever downloaded.  Tracks removed from the server kept their audio
on the speaker's SD card (full after months), and a track updated on the server (same id, new
content: a re-encoded file, corrected tags) played its old copy for ever.  Now each sync deletes the
downloads of tracks the server no longer has and those made of an older version of a track, and a
download evicts the least recently played files beyond the cache's size; a file being played (held
with `playing`, by this speaker's process or another on the same cache, as `library sync` beside the
service) is never deleted.  Real library servers (`library serve`'s LibraryServer) over HTTP on the
loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import synth
from lankit import add_track, cached_files, cut_streams

from moodspeaker.config.schema import LibraryConfig
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanError, LanLibrary
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import open_remote


@dataclass
class Served:
    index: LibraryIndex
    server: LibraryServer
    music: Path
    ids: dict[str, str]  # by song name (a, b, c)

    def size(self, name: str) -> int:
        return (self.music / f"{name}.wav").stat().st_size

    def audio(self, name: str) -> bytes:
        return (self.music / f"{name}.wav").read_bytes()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    music = tmp_path / "music"
    index = LibraryIndex(tmp_path / "server.db")
    ids = {}
    for name, seconds, valence in (("a", 1.0, -0.5), ("b", 1.5, 0.0), ("c", 2.0, 0.5)):
        path = synth.write(music / f"{name}.wav", synth.chord(synth.C_MAJOR, seconds))
        ids[name] = add_track(index, path, valence)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    try:
        yield Served(index, server, music, ids)
    finally:
        server.stop()
        index.close()


def _speaker(served: Served, cache: Path, bound: int | None = None) -> LanLibrary:
    lan = LanLibrary(served.server.url, cache, audio_cache_bytes=bound)
    lan.sync()
    return lan


def test_a_track_removed_from_the_server_loses_its_download(tmp_path: Path, served: Served) -> None:
    lan = _speaker(served, tmp_path / "cache")
    a, b = served.ids["a"], served.ids["b"]
    kept = lan.fetch(b)
    lan.fetch(a)
    with served.index.batch() as batch:
        batch.remove(str(served.music / "a.wav"))

    assert lan.sync().removed == 1
    assert lan.cached_audio(a) is None
    assert set(cached_files(lan)) == {b}, "the removed track's audio must go with it"
    assert lan.cached_audio(b) == kept and kept.read_bytes() == served.audio("b")
    lan.close()


def test_a_track_updated_on_the_server_plays_its_new_audio(tmp_path: Path, served: Served) -> None:
    lan = _speaker(served, tmp_path / "cache")
    a = served.ids["a"]
    assert lan.fetch(a).read_bytes() == served.audio("a")
    # the same file (same id) with new content, analysed again by the server's next scan
    synth.write(served.music / "a.wav", synth.chord(synth.A_MINOR, 2.5))
    assert add_track(served.index, served.music / "a.wav", 0.7) == a

    assert lan.sync().updated == 1
    assert lan.cached_audio(a) is None, "the old version's download is stale"
    assert lan.fetch(a).read_bytes() == served.audio("a")
    assert len(cached_files(lan)[a]) == 1, "one download of the track: the new one"
    lan.close()


def test_the_cache_keeps_to_its_size_evicting_the_least_recently_played(
    tmp_path: Path, served: Served
) -> None:
    a, b, c = (served.ids[n] for n in "abc")
    bound = served.size("b") + served.size("c") + 1000  # room for b and c, or a and c: not all three
    lan = _speaker(served, tmp_path / "cache", bound)
    lan.fetch(a)
    lan.fetch(b)
    assert set(cached_files(lan)) == {a, b}
    lan.fetch(a)  # played again from its copy: now b is the least recently played
    lan.fetch(c)

    assert set(cached_files(lan)) == {a, c}
    assert sum(p.stat().st_size for p in lan.audio_dir.iterdir()) <= bound
    assert lan.fetch(a).read_bytes() == served.audio("a")
    assert lan.fetch(b).read_bytes() == served.audio("b")  # downloaded again when asked for
    lan.close()


def test_a_playing_file_is_never_deleted(tmp_path: Path, served: Served) -> None:
    a, b, c = (served.ids[n] for n in "abc")
    bound = served.size("c") + 1000  # room for one download at a time
    player = _speaker(served, tmp_path / "cache", bound)
    # `library sync` run by hand while the service plays: another client on the same cache
    other = LanLibrary(served.server.url, tmp_path / "cache", audio_cache_bytes=bound)
    with player.playing(a) as playing:
        assert playing.read_bytes() == served.audio("a")
        with served.index.batch() as batch:
            batch.remove(str(served.music / "a.wav"))
        assert other.sync().removed == 1
        other.fetch(b)  # the cache is over its size: a would be the one to go
        player.fetch(c)
        assert playing.is_file() and playing.read_bytes() == served.audio("a"), "deleted while playing"
        assert set(cached_files(player)) == {a, c}, "b was not playing and c is the newest"
    player.sync()  # nothing changed on the server: the file of the track gone goes now
    assert set(cached_files(player)) == {c}
    player.close()
    other.close()


def test_a_download_resumed_after_the_file_changed_is_not_a_mix(tmp_path: Path) -> None:
    """A download broken half-way is resumed from where it stopped (a Range request); when the file
    changed on the server meanwhile (before the speaker's next sync told it), the rest of the new
    file after the old half would play as garbage: the resume asks for the rest only of the same
    file (If-Range), and the server sends the new one whole."""
    music = tmp_path / "music"
    index = LibraryIndex(tmp_path / "server.db")
    song = synth.write(music / "a.wav", synth.chord(synth.C_MAJOR, 2.0))
    a = add_track(index, song, 0.1)
    server = LibraryServer(index, "127.0.0.1", 0)
    broken = cut_streams(server, times=1)  # half of the first, then the server is gone
    server.start()
    lan = LanLibrary(server.url, tmp_path / "cache")
    try:
        lan.sync()
        with pytest.raises(LanError, match="stream"):
            lan.fetch(a)
        assert broken and cached_files(lan)[a], "a partial download to resume"
        assert _problems(lan) == [(f"{lan.source}/{a}", "stream")]
        synth.write(song, synth.chord(synth.A_MINOR, 2.0))  # same size, other music
        assert lan.fetch(a).read_bytes() == song.read_bytes()
        assert len(cached_files(lan)[a]) == 1, "the download alone, nothing of the partial one"
        assert _problems(lan) == [], "the track downloads: its failure is no longer a problem"
    finally:
        lan.close()
        server.stop()
        index.close()


def _problems(lan: LanLibrary) -> list[tuple[str, str]]:
    """The mirror's problems (as `library stats` lists them): path and kind."""
    return [(p["path"], p["kind"]) for p in lan.cache.stats()["problems"]]


def test_the_bound_is_the_setting(tmp_path: Path) -> None:
    default = open_remote("http://nas.local:8765", tmp_path)
    assert isinstance(default, LanLibrary)
    assert default.audio.max_bytes == LibraryConfig().server_cache_mb * 2**20
    configured = open_remote("http://nas.local:8765", tmp_path, audio_cache_mb=100)
    assert isinstance(configured, LanLibrary) and configured.audio.max_bytes == 100 * 2**20
