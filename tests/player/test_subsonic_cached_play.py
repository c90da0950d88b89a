"""The player plays an OpenSubsonic server's songs through the speaker's download cache.

Why: an OpenSubsonic song was downloaded again into memory at each play and kept nowhere, so a song
heard a minute before was streamed again, and with the server off (a NAS asleep) nothing of it
played.  Now the song's client (`SubsonicLibrary`, handed to the player by library.lan.downloads as
the service does) fetches it into its download cache or finds it there (the sync's analysis left it
there), and holds it while it plays; a song changed on the server is downloaded again by the sync to
be analysed, and that download is what its next play plays (its old copy goes); a removed song's copy
goes at the sync, once it no longer plays.  The
OpenSubsonic server of subsonickit on the loopback (counting its stream requests), songs analysed by
a real worker, a real player on SDL's dummy driver.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playerkit import Recorder, end_events, ends, playing, started, write_tone

from moodspeaker.library.lan.downloads import ServerDownloads
from moodspeaker.library.lan.sources import open_remote
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import Event, TrackEnded
from subsonickit import Songs, Subsonic, serve
from testcache import numba_cache

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def pool() -> Iterator[AnalysisPool]:
    """One analysis worker for the module's syncs (each new one pays librosa's warm-up)."""
    with AnalysisPool(1, excerpt_s=4.0, numba_cache_dir=numba_cache()) as p:
        yield p


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    music = tmp_path / "music"
    music.mkdir()
    songs: Songs = {
        sid: {"title": sid, "artist": "Tone", "duration": seconds, "suffix": "wav",
              "path": write_tone(music / f"{sid}.wav", freq, seconds)}
        for sid, freq, seconds in (("a", 440, 0.8), ("b", 550, 0.8), ("long", 660, 4.0))
    }  # fmt: skip
    srv = serve(songs, page_cap=10)
    try:
        yield srv
    finally:
        srv.stop()


def _speaker(srv: Subsonic, cache: Path, pool: AnalysisPool) -> tuple[SubsonicLibrary, dict[str, QueueItem]]:
    """The speaker's client of the server (as the service opens it), synced; its songs to queue."""
    sub = open_remote(f"subsonic+{srv.url}", cache, 50)
    assert isinstance(sub, SubsonicLibrary)
    assert sub.sync(pool).analysed == len(srv.songs)
    srv.streams.clear()  # the sync's downloads to analyse: the plays' are counted from here
    return sub, {t.title: QueueItem(t, "from the NAS") for t in sub.tracks()}


def _copies(sub: SubsonicLibrary, item: QueueItem) -> list[Path]:
    return sorted(sub.audio_dir.glob(item.track.id + "*")) if sub.audio_dir.is_dir() else []


def _ended(track: str, times: int) -> Callable[[list[Event]], bool]:
    """Whether `track`'s end was announced `times` times among the events."""
    return lambda events: sum(isinstance(e, TrackEnded) and e.track_id == track for e in events) >= times


def _play(player: Player, rec: Recorder, queue: list[QueueItem], last: QueueItem, times: int) -> None:
    """Play `queue` until `last` has ended `times` times in all."""
    player.set_queue(queue)
    player.play()
    rec.wait_until(_ended(last.track.id, times))


def test_a_song_played_twice_is_streamed_once(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    sub, items = _speaker(server, tmp_path / "cache", pool)
    a = items["a"]
    player, rec = make_player(ServerDownloads([sub]))
    _play(player, rec, [a], a, 1)
    _play(player, rec, [a], a, 2)
    assert ends(rec, a.track.id) == [(False, True), (False, True)], player.status().failures
    assert all(e.played_s > 0.6 for e in end_events(rec, a.track.id))
    assert server.streams == [], "both plays come from the download the sync made to analyse it"
    assert len(_copies(sub, a)) == 1
    sub.close()


def test_a_song_heard_before_plays_with_the_server_off(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    sub, items = _speaker(server, tmp_path / "cache", pool)
    a, b = items["a"], items["b"]
    player, rec = make_player(ServerDownloads([sub]))
    _play(player, rec, [a], a, 1)
    for copy in _copies(sub, b):  # the download of b's analysis evicted since (a full cache)
        copy.unlink()
    server.stop()  # the NAS asleep: b was never heard, a was

    _play(player, rec, [b, a], a, 2)
    assert started(rec) == [a.track.id, a.track.id]
    assert ends(rec, a.track.id) == [(False, True), (False, True)]
    failures = {f["track_id"]: f["error"] for f in player.status().failures}
    assert set(failures) == {b.track.id} and "download failed" in failures[b.track.id]
    sub.close()


def test_a_song_changed_on_the_server_plays_its_new_file(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    sub, items = _speaker(server, tmp_path / "cache", pool)
    a = items["a"]
    player, rec = make_player(ServerDownloads([sub]))
    _play(player, rec, [a], a, 1)
    [old] = _copies(sub, a)

    # replaced on the server under the same id by a longer file
    server.songs["a"]["path"] = write_tone(tmp_path / "music" / "a2.wav", 330, 2.0)
    again = sub.sync(pool)
    assert (again.analysed, again.changed) == (1, 1), again.failed
    assert server.streams == ["a"], "the sync downloaded the new file to analyse it"
    assert not old.exists(), "the old file's copy was kept"
    [changed] = [t for t in sub.tracks() if t.id == a.track.id]
    new = QueueItem(changed, "from the NAS")
    _play(player, rec, [new], new, 2)
    assert ends(rec, a.track.id) == [(False, True), (False, True)], player.status().failures
    assert end_events(rec, a.track.id)[1].played_s > 1.6, "the old file played"
    assert server.streams == ["a"], "the new file played from the download of its analysis"
    [copy] = _copies(sub, a)
    assert copy.read_bytes() == Path(server.songs["a"]["path"]).read_bytes()
    sub.close()


def test_a_removed_songs_copy_goes_once_it_no_longer_plays(
    tmp_path: Path, server: Subsonic, pool: AnalysisPool, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    sub, items = _speaker(server, tmp_path / "cache", pool)
    song = items["long"]
    # paused as it starts (on the player thread), so it is still playing when the sync runs
    player, rec = playing(make_player, [song], then=lambda p: p.pause(), caches=ServerDownloads([sub]))
    assert player.wait_idle(30) and player.status().state == "paused"
    del server.songs["long"]["path"]  # removed on the server: its copy is to go

    assert sub.sync(pool).removed == 1
    assert len(_copies(sub, song)) == 1, "the copy playing was deleted by the sync's sweep"
    assert ends(rec, song.track.id) == [], "it was to be playing still"
    player.stop()
    assert player.wait_idle(30)
    sub.sync(pool)  # nothing new: the copy, no longer open, goes now
    assert _copies(sub, song) == []
    sub.close()
