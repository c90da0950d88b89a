"""The player plays a library server's tracks through the speaker's download cache.

Why: the player downloaded each play of a LAN track again into a buffer of its own, and the cache
(bounded, swept, resumable: library.lan.audiocache) was filled by nothing but tests.  So a track
heard a minute before was downloaded again, and with the server off (a NAS asleep) nothing from it
played at all.  Now the track's client fetches it into the cache or finds it there, and holds the
file while the player has it open, so a sweep (a sync, another download over the bound) never
deletes the file playing.  The player is handed the speaker's own clients (library.lan.downloads), as
the service hands it those of its library: another client of the same server in the process (a
second service, a `library sync` of another data folder) is not what it plays from.  A real library
server (`library serve`'s LibraryServer) on the loopback, whose stream requests the test counts as
they come in, and a real player on SDL's dummy driver.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Response, request
from playerkit import Recorder, end_events, ends, playing, started, write_tone

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.downloads import ServerDownloads
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import open_remote
from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import Event, TrackEnded


@dataclass
class Served:
    index: LibraryIndex
    server: LibraryServer
    music: Path
    streams: list[str] = field(default_factory=list)  # the paths of the stream requests it answered

    def add(self, path: Path) -> str:
        """`path` indexed and analysed (as a scan would), titled by its stem; its id."""
        values = dict(zip(FEATURE_COLUMNS, (0.2, 0.1, 0.5, 120.0, -16.0, 1, 0.4), strict=True))
        with self.index.batch() as b:
            b.upsert_file(str(path), path.stat().st_size, 1, "h" + path.name, Tags(path.stem, "Tone"))
            b.set_analysed(str(path), {"key": 3.0}, values)
        return track_id(str(path))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    music = tmp_path / "music"
    music.mkdir()
    index = LibraryIndex(tmp_path / "server.db")
    server = LibraryServer(index, "127.0.0.1", 0)
    found = Served(index, server, music)

    @server.app.after_request
    def count(response: Response) -> Response:
        if "/stream/" in request.path:
            found.streams.append(request.path)
        return response

    for name, freq, seconds in (("a", 440, 0.8), ("b", 550, 0.8), ("long", 660, 4.0)):
        found.add(write_tone(music / f"{name}.wav", freq, seconds))
    server.start()
    try:
        yield found
    finally:
        server.stop()
        index.close()


def _speaker(served: Served, cache: Path) -> tuple[LanLibrary, dict[str, QueueItem]]:
    """The speaker's client of the server (as the service opens it), synced; its tracks to queue."""
    lan = open_remote(served.server.url, cache, 50)
    assert isinstance(lan, LanLibrary)
    lan.sync()
    return lan, {t.title: QueueItem(t, "from the LAN") for t in lan.tracks()}


def _caches(lan: LanLibrary) -> ServerDownloads:
    """What the service hands its player: the download caches of its own clients."""
    return ServerDownloads([lan])


def _downloads(lan: LanLibrary, item: QueueItem) -> list[str]:
    return sorted(p.name for p in lan.audio_dir.glob(item.track.id + "*")) if lan.audio_dir.is_dir() else []


def _ended(track: str, times: int) -> Callable[[list[Event]], bool]:
    """Whether `track`'s end was announced `times` times among the events."""
    return lambda events: sum(isinstance(e, TrackEnded) and e.track_id == track for e in events) >= times


def test_a_track_played_twice_is_downloaded_once(
    tmp_path: Path, served: Served, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    lan, items = _speaker(served, tmp_path / "cache")
    a = items["a"]
    player, rec = make_player(_caches(lan))
    for times in (1, 2):
        player.set_queue([a])
        player.play()
        rec.wait_until(_ended(a.track.id, times))

    assert ends(rec, a.track.id) == [(False, True), (False, True)], player.status().failures
    assert all(e.played_s > 0.6 for e in end_events(rec, a.track.id))
    assert served.streams == [f"/api/v1/stream/{a.track.id}"], "the second play comes from the download"
    assert len(_downloads(lan, a)) == 1
    lan.close()


def test_a_track_heard_before_plays_with_the_server_off(
    tmp_path: Path, served: Served, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    lan, items = _speaker(served, tmp_path / "cache")
    a, b = items["a"], items["b"]
    player, rec = make_player(_caches(lan))
    player.set_queue([a])
    player.play()
    rec.wait_until(_ended(a.track.id, 1))
    served.server.stop()  # the NAS asleep: b was never heard, a was

    player.set_queue([b, a])
    player.play()
    rec.wait_until(_ended(a.track.id, 2))
    assert started(rec) == [a.track.id, a.track.id]
    assert ends(rec, a.track.id) == [(False, True), (False, True)]
    failures = {f["track_id"]: f["error"] for f in player.status().failures}
    assert set(failures) == {b.track.id}
    assert "download failed" in failures[b.track.id] and lan.stream_url(b.track.id) in failures[b.track.id]
    lan.close()


def test_a_sweep_while_a_track_plays_does_not_delete_its_file(
    tmp_path: Path, served: Served, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    lan, items = _speaker(served, tmp_path / "cache")
    a = items["long"]
    # paused as it starts (on the player thread), so it is still playing when the sync runs
    player, rec = playing(make_player, [a], then=lambda p: p.pause(), caches=_caches(lan))
    assert player.wait_idle(30) and player.status().state == "paused"
    with served.index.batch() as batch:  # removed from the server: its download is to go
        batch.remove(str(served.music / "long.wav"))

    assert lan.sync().removed == 1
    assert len(_downloads(lan, a)) == 1, "the download playing was deleted by the sync's sweep"
    assert ends(rec, a.track.id) == [], "it was to be playing still"
    player.stop()
    assert player.wait_idle(30)
    lan.sync()  # nothing new: the file, no longer open, goes now
    assert _downloads(lan, a) == []
    lan.close()


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_an_m4a_plays_from_its_download_through_ffmpeg(
    tmp_path: Path, served: Served, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """ffmpeg reads the download in the cache (no temporary copy, as of a download in memory)."""
    wav = write_tone(tmp_path / "song.wav", 440, 1.5)
    m4a = served.music / "song.m4a"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
    served.add(m4a)
    copies = set(Path(tempfile.gettempdir()).glob("moodspeaker-*.audio"))
    lan, items = _speaker(served, tmp_path / "cache")
    song = items["song"]
    player, rec = make_player(_caches(lan))
    player.set_queue([song])
    player.play()
    rec.wait_until(_ended(song.track.id, 1))

    assert ends(rec, song.track.id) == [(False, True)], player.status().failures
    assert end_events(rec, song.track.id)[0].played_s > 1.2
    assert len(_downloads(lan, song)) == 1
    assert set(Path(tempfile.gettempdir()).glob("moodspeaker-*.audio")) <= copies
    lan.close()


def test_each_speaker_plays_from_the_cache_of_its_own_client(
    tmp_path: Path, served: Served, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """Two speakers in one process on one server (two services; a service and a `library sync` of
    another data folder): each plays from its own client's cache.  The clients registered in a
    global by URL, the one made last answering for all: the first speaker's play went into the
    second one's cache (its own never filled, so its track did not play with the server off)."""
    one, items = _speaker(served, tmp_path / "one")
    two, _ = _speaker(served, tmp_path / "two")  # made last
    a = items["a"]
    player, rec = make_player(_caches(one))
    player.set_queue([a])
    player.play()
    rec.wait_until(_ended(a.track.id, 1))
    assert len(_downloads(one, a)) == 1, "the play was not downloaded into its speaker's own cache"
    assert _downloads(two, a) == [], "the play went into another speaker's cache"

    other, heard = make_player(_caches(two))  # the second speaker downloads into its own
    other.set_queue([a])
    other.play()
    heard.wait_until(_ended(a.track.id, 1))
    assert ends(heard, a.track.id) == [(False, True)], other.status().failures
    assert len(_downloads(two, a)) == 1
    assert served.streams == [f"/api/v1/stream/{a.track.id}"] * 2
    one.close()
    two.close()
