"""The library server's download cache under the privacy retention, "delete everything" and the export.

Why: a track of a library server plays from the speaker's download cache, and each play stamps its
download's file times (audiocache: the least recently used go first when the cache is full).  So the
cache folder held, for every track played, when it was last played: listening history that neither
the retention nor "delete everything" reached and the export did not show.  Now the export lists the
downloads with when each was last used, the retention deletes those not used since its cut-off, and
"delete everything" deletes them all; their folder is the owner's alone.  The real wiring
(`build_parts` from the config, a scripted camera), a real library server on the loopback and the
real player on SDL's dummy driver.
"""

from __future__ import annotations

import os
import time
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

pytestmark = pytest.mark.timeout(180)
DAY_S = 86400.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A library server offering two analysed tone tracks; its URL and the tracks' ids."""
    music = tmp_path / "music"
    music.mkdir()
    index = LibraryIndex(tmp_path / "server.db")
    values = dict(zip(FEATURE_COLUMNS, (0.2, 0.1, 0.5, 120.0, -16.0, 1, 0.4), strict=True))
    ids = []
    with index.batch() as b:
        for name, hz in (("a", 440), ("b", 550)):
            song = music / f"{name}.ogg"
            write_tone(song, hz, 0.8, 0.2)
            b.upsert_file(str(song), song.stat().st_size, 1, f"h-{name}", Tags(name, "Tone"))
            b.set_analysed(str(song), {"key": 3.0}, values)
            ids.append(track_id(str(song)))
    srv = LibraryServer(index, "127.0.0.1", 0)
    srv.start()
    try:
        yield srv.url, ids
    finally:
        srv.stop()
        index.close()


def _service(data: Path, url: str) -> tuple[Appliance, list[Event], LanLibrary]:
    """A service on `url` built as `moodspeaker run` builds it; no automatic picks (strategy off): only
    the tracks a test queues play, and nothing is fetched meanwhile."""
    changes = {"library.servers": [url], "library.folders": [], "recommend.strategy": "off"}
    cfg = config(data, **changes)
    parts = build_parts(cfg, data)
    script = Script(None)
    parts.make_source, parts.make_pipeline = lambda: ScriptSource(script), lambda: ScriptPipeline(script)
    assert parts.rescan is not None
    assert "2 updated" in parts.rescan(None)
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
    wait_for(lambda: [i.track.id for i in app.player.status().queue] == [track], what="the queue")
    app.play()
    wait_for(lambda: any(isinstance(e, TrackEnded) and e.track_id == track for e in events), what="its end")
    wait_for(lambda: app.player.status().current is None, what="the player idle")


def _downloads(client: LanLibrary) -> dict[str, float]:
    """Each file in the download folder and its last modification time."""
    folder = client.audio_dir
    return {p.name: p.stat().st_mtime for p in folder.iterdir()} if folder.is_dir() else {}


def test_retention_and_delete_everything_reach_the_downloads(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    url, (old, recent) = server
    app, events, client = _service(tmp_path / "data", url)
    app.start()
    try:
        wait_for(lambda: app.retention.runs >= 1, what="the retention at start")
        for track in (old, recent):
            _play(app, events, track)
        files = _downloads(client)
        assert sorted(n.partition(".")[0] for n in files) == sorted([old, recent]), files
        mode = client.audio_dir.stat().st_mode & 0o777
        assert mode == 0o700, f"the downloads (tracks played, and when) are open to others: {mode:o}"

        exported = {d["track_id"]: d["last_used_at"] for d in app.export_data()["downloaded"]}
        assert set(exported) == {old, recent}  # the export shows what the cache keeps, and when
        assert all(abs(at - time.time()) < DAY_S for at in exported.values())

        # the first play was 40 days ago (retention_days 30): the file times say so, as they did
        [old_file] = client.audio_dir.glob(old + ".*")
        then = time.time() - 40 * DAY_S
        os.utime(old_file, (then, then))
        runs = app.retention.runs
        app.retention.run_now()
        wait_for(lambda: app.retention.runs > runs, what="a retention run")
        left = _downloads(client)
        assert [n.partition(".")[0] for n in left] == [recent], f"a play older than 30 days is kept: {left}"

        app.delete_data()
        assert _downloads(client) == {}, "delete everything left the downloads (when each was played)"
        assert app.export_data()["downloaded"] == []
        _play(app, events, recent)  # the music plays on: downloaded again
        assert [n.partition(".")[0] for n in _downloads(client)] == [recent]
    finally:
        app.stop()
        client.close()
