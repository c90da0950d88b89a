"""Two services in one process on one library server: each plays the server's tracks from its own
download cache.

Why: the player found a track's download cache through a global registry of the LAN clients, by URL,
the client made last answering for every speaker in the process.  A second service (or a `library
sync` of another data folder) on the same server took the first one's plays: they went into the
other's cache, the first one's own never filled, and a track it had heard did not play with the
server off.  The service now hands its player the caches of its own clients (build_parts ->
Parts.downloads).  The real wiring (`build_parts` from the config, the real expression model loaded;
a scripted camera), a real library server on the loopback and real players on SDL's dummy driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.downloads import ServerDownloads
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.app import Appliance
from moodspeaker.service.components import build_parts
from moodspeaker.service.events import Event, EventBus, TrackEnded
from moodspeaker.vision.expression import default_model_json
from tonetracks import write_tone


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    """A library server offering one analysed tone track."""
    song = tmp_path / "music" / "a.ogg"
    song.parent.mkdir()
    write_tone(song, 440, 0.8, 0.2)
    index = LibraryIndex(tmp_path / "server.db")
    values = dict(zip(FEATURE_COLUMNS, (0.2, 0.1, 0.5, 120.0, -16.0, 1, 0.4), strict=True))
    with index.batch() as b:
        b.upsert_file(str(song), song.stat().st_size, 1, "h-a", Tags("a", "Tone"))
        b.set_analysed(str(song), {"key": 3.0}, values)
    server = LibraryServer(index, "127.0.0.1", 0)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        index.close()


def _service(data: Path, url: str) -> tuple[Appliance, list[Event], LanLibrary]:
    """A service on `url` built as `moodspeaker run` builds it, synced; its events and LAN client."""
    cfg = config(data, **{"library.servers": [url], "library.folders": []})
    parts = build_parts(cfg, data)
    script = Script(None)
    parts.make_source, parts.make_pipeline = lambda: ScriptSource(script), lambda: ScriptPipeline(script)
    assert parts.rescan is not None
    assert "1 updated" in parts.rescan(None)  # the service's rescan syncs its client
    assert isinstance(parts.downloads, ServerDownloads)
    [client] = parts.downloads.clients
    assert isinstance(client, LanLibrary)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    return Appliance(cfg, bus, parts, data), events, client


def _play(app: Appliance, events: list[Event], track: str) -> None:
    """Play the track (queued, then Play) until its end is announced."""
    [found] = [t for t in app.parts.recommender.source.tracks() if t.id == track]
    app.player.set_queue([QueueItem(found, "queued")])
    wait_for(lambda: len(app.player.status().queue) == 1, what="the queue")
    app.play()
    wait_for(lambda: any(isinstance(e, TrackEnded) and e.track_id == track for e in events), what="its end")


def _downloads(client: LanLibrary, track: str) -> list[Path]:
    return list(client.audio_dir.glob(track + "*")) if client.audio_dir.is_dir() else []


def test_two_services_on_one_server_each_play_from_their_own_cache(tmp_path: Path, server_url: str) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    one, one_events, one_client = _service(tmp_path / "one", server_url)
    two, two_events, two_client = _service(tmp_path / "two", server_url)  # its client made last
    track = track_id(str(tmp_path / "music" / "a.ogg"))
    assert one_client.audio_dir.is_relative_to(tmp_path / "one")
    one.start()
    try:
        _play(one, one_events, track)
        ended = [e for e in one_events if isinstance(e, TrackEnded) and e.track_id == track]
        assert ended[0].completed, one.player.status().failures
    finally:
        one.stop()
    assert len(_downloads(one_client, track)) == 1, "the play did not go into the service's own cache"
    assert _downloads(two_client, track) == [], "the play went into the other service's cache"

    two.start()
    try:
        _play(two, two_events, track)
    finally:
        two.stop()
    assert len(_downloads(two_client, track)) == 1
    one_client.close()
    two_client.close()
