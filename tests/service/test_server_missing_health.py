"""Health's `library` when a library server's track cannot be downloaded: names the server, and clears.

Why: a download that failed (the server off) set `library` to `missing` with "disk unplugged or
files moved? (rescan once it is back)", and it stayed so until the next rescan, also once the server
was back and its tracks played again.  Health should say what is true: the server is unreachable (not
a disk), and once a track from that server plays again it is `ok` again.  A detail naming a track is
redacted by "delete everything" as before.  The real wiring (`build_parts` from the config, a
scripted camera), a real library server on the loopback stopped and started again on its port, and
the real player on SDL's dummy driver.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.downloads import ServerDownloads
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.app import Appliance
from moodspeaker.service.components import build_parts
from moodspeaker.service.events import Event, EventBus, TrackStarted
from moodspeaker.vision.expression import default_model_json
from tonetracks import write_tone

sys.path.append(str(Path(__file__).resolve().parents[1] / "library"))
from lankit import add_track

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LibraryIndex, list[str]]]:
    """A library server's index of two analysed tone tracks, and the tracks' ids."""
    index = LibraryIndex(tmp_path / "server.db")
    ids = []
    for name, hz in (("a", 440), ("b", 550)):
        song = tmp_path / "music" / f"{name}.ogg"
        song.parent.mkdir(exist_ok=True)
        write_tone(song, hz, 0.8, 0.2)
        ids.append(add_track(index, song, 0.2))
    try:
        yield index, ids
    finally:
        index.close()


def _library(app: Appliance) -> dict[str, Any]:
    library: dict[str, Any] = app.health_snapshot()["components"]["library"]
    return library


def _play(app: Appliance, track: str) -> None:
    """Queue `track` alone and press Play."""
    [found] = [t for t in app.parts.recommender.source.tracks() if t.id == track]
    app.player.set_queue([QueueItem(found, "queued")])
    wait_for(lambda: [i.track.id for i in app.player.status().queue] == [track], what="the queue")
    app.play()


def test_a_library_server_off_is_named_and_clears_once_its_track_plays(
    tmp_path: Path, served: tuple[LibraryIndex, list[str]]
) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    index, (first, second) = served
    server = LibraryServer(index, "127.0.0.1", 0).start()
    data = tmp_path / "data"
    cfg = config(
        data, **{"library.servers": [server.url], "library.folders": [], "recommend.strategy": "off"}
    )
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
    app = Appliance(cfg, bus, parts, data)
    app.start()
    try:
        server.stop()  # the server is off: the play's download fails
        _play(app, first)
        wait_for(lambda: _library(app)["state"] == "missing", what="health's library missing")
        detail = _library(app)["detail"]
        assert server.url in detail and "unreachable" in detail, detail
        assert "disk" not in detail, f"a library server's track blamed on a disk: {detail}"
        wait_for(lambda: app.player.status().current is None and not app.player.status().queue, what="idle")

        server = LibraryServer(index, "127.0.0.1", server.port).start()  # back, at the same address
        _play(app, second)
        wait_for(
            lambda: any(isinstance(e, TrackStarted) and e.track_id == second for e in events),
            what="the server's track playing",
        )
        wait_for(lambda: _library(app)["state"] == "ok", what="health's library ok again")
        assert _library(app)["detail"] == "2 tracks"

        server.stop()  # off again, then "delete everything": the detail no longer names the track
        _play(app, first)
        wait_for(lambda: _library(app)["state"] == "missing", what="health's library missing again")
        assert first in _library(app)["detail"], "the test does not see the track where it looks"
        app.delete_data()
        library = _library(app)
        assert library["state"] == "missing" and first not in library["detail"], library
        assert server.url in library["detail"], library
    finally:
        app.stop()
        server.stop()
        client.close()
