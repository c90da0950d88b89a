"""The real service whose music comes from a real library server on the loopback, for the service tests
of a speaker on a library server (downloads, their privacy, health): the server's tone tracks (indexed
as a scan would, tests/library/lankit.py), the service built as `moodspeaker run` builds it
(`build_parts` from the config, a scripted camera) and its LAN client, a track queued and played, and
health's `library`.  The same service on an OpenSubsonic server (`subsonic_service`: tests/subsonickit's
server, its songs analysed by the service's rescan).
One place, so each test states only what it is about."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from servicekit import Script, ScriptPipeline, ScriptSource, config, wait_for

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.downloads import ServerDownloads
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import SUBSONIC_PREFIX
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.app import Appliance
from moodspeaker.service.components import build_parts
from moodspeaker.service.events import Event, EventBus, TrackEnded
from tonetracks import write_tone

LIBRARY_TESTS = Path(__file__).resolve().parents[1] / "library"
if str(LIBRARY_TESTS) not in sys.path:  # lankit lives with the library tests
    sys.path.append(str(LIBRARY_TESTS))

from lankit import add_track  # noqa: E402

# re-exported (an alias: mypy strict) for the service tests that break a server's streams
from lankit import cut_streams as cut_streams  # noqa: E402, PLC0414

#: The served tone tracks by default: name (file music/<name>.ogg) and frequency
TONES = (("a", 440), ("b", 550))


def served_index(
    tmp_path: Path, tones: tuple[tuple[str, int], ...] = TONES
) -> tuple[LibraryIndex, list[str]]:
    """A library server's index (`tmp_path`/server.db) of `tones` written as analysed tone tracks in
    `tmp_path`/music, and the tracks' ids; the caller closes the index."""
    index = LibraryIndex(tmp_path / "server.db")
    return index, [serve_tone(index, tmp_path, name, hz) for name, hz in tones]


def serve_tone(index: LibraryIndex, tmp_path: Path, name: str, hz: int) -> str:
    """One more tone track (`tmp_path`/music/<name>.ogg) in a library server's `index`, analysed;
    its id."""
    song = tmp_path / "music" / f"{name}.ogg"
    song.parent.mkdir(exist_ok=True)
    write_tone(song, hz, 0.8, 0.2)
    return add_track(index, song, 0.2)


@contextmanager
def running_server(
    tmp_path: Path, tones: tuple[tuple[str, int], ...] = TONES
) -> Iterator[tuple[LibraryServer, list[str]]]:
    """A library server on the loopback offering `served_index`'s tracks, and their ids; stopped (and
    its index closed) at the end."""
    index, ids = served_index(tmp_path, tones)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    try:
        yield server, ids
    finally:
        server.stop()
        index.close()


#: the kind of server's client: a library server's (LanLibrary) or an OpenSubsonic server's
Client = TypeVar("Client", LanLibrary, SubsonicLibrary)


@dataclass(frozen=True)
class RemoteService(Generic[Client]):
    """A service (not started) on one server, the events it announced, and its client of the server."""

    app: Appliance
    events: list[Event]
    client: Client

    def close(self) -> None:
        """Stop the service and close its mirror of the server (the next service opens its own)."""
        self.app.stop()
        self.client.close()


#: a service on one library server
LanService = RemoteService[LanLibrary]


def lan_service(data: Path, url: str, *, synced: int | None = None, picks: bool = False) -> LanService:
    """A service in `data` on the library server at `url` alone (no music folder), built as `moodspeaker
    run` builds it.  `synced`: the service's rescan is run once before and syncs that many tracks (None:
    not synced).  `picks` False: no automatic picks (strategy off), so only the tracks a test queues play
    and nothing is fetched meanwhile."""
    return _service(data, url, LanLibrary, synced=synced, picks=picks)


def subsonic_service(
    data: Path, url: str, *, synced: int | None = None, picks: bool = False
) -> RemoteService[SubsonicLibrary]:
    """As `lan_service`, on the OpenSubsonic server at `url` (http://user:password@host:port, as
    subsonickit's `Subsonic.url`); `synced`: the songs the rescan analyses."""
    return _service(data, SUBSONIC_PREFIX + url, SubsonicLibrary, synced=synced, picks=picks)


def _service(
    data: Path, url: str, kind: type[Client], *, synced: int | None, picks: bool
) -> RemoteService[Client]:
    changes: dict[str, object] = {"library.servers": [url], "library.folders": []}
    if not picks:
        changes["recommend.strategy"] = "off"
    cfg = config(data, **changes)
    parts = build_parts(cfg, data)
    script = Script(None)
    parts.make_source, parts.make_pipeline = lambda: ScriptSource(script), lambda: ScriptPipeline(script)
    if synced is not None:
        assert parts.rescan is not None
        assert f"{synced} updated" in parts.rescan(None)  # the service's rescan syncs its client
    assert isinstance(parts.downloads, ServerDownloads)
    [client] = parts.downloads.clients
    assert isinstance(client, kind)
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    return RemoteService(Appliance(cfg, bus, parts, data), events, client)


def library_health(app: Appliance) -> dict[str, Any]:
    """Health's `library` component now (state, detail)."""
    library: dict[str, Any] = app.health_snapshot()["components"]["library"]
    return library


def queue_and_play(app: Appliance, track: str) -> None:
    """Queue `track` alone and press Play."""
    [found] = [t for t in app.parts.recommender.source.tracks() if t.id == track]
    app.player.set_queue([QueueItem(found, "queued")])
    wait_for(lambda: [i.track.id for i in app.player.status().queue] == [track], what="the queue")
    app.play()


def play_to_end(service: RemoteService[Any], track: str) -> None:
    """Queue `track` alone, press Play and wait until its end is announced."""
    queue_and_play(service.app, track)
    events = service.events
    wait_for(lambda: any(isinstance(e, TrackEnded) and e.track_id == track for e in events), what="its end")
