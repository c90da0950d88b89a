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
from lanservicekit import lan_service, play_to_end, running_server

from moodspeaker.library.index import track_id
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.service.events import TrackEnded
from moodspeaker.vision.expression import default_model_json


@pytest.fixture
def server_url(tmp_path: Path) -> Iterator[str]:
    """A library server offering one analysed tone track."""
    with running_server(tmp_path, (("a", 440),)) as (server, _):
        yield server.url


def _downloads(client: LanLibrary, track: str) -> list[Path]:
    return list(client.audio_dir.glob(track + "*")) if client.audio_dir.is_dir() else []


def test_two_services_on_one_server_each_play_from_their_own_cache(tmp_path: Path, server_url: str) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    one = lan_service(tmp_path / "one", server_url, synced=1, picks=True)
    two = lan_service(tmp_path / "two", server_url, synced=1, picks=True)  # its client made last
    one_client, two_client = one.client, two.client
    track = track_id(str(tmp_path / "music" / "a.ogg"))
    assert one_client.audio_dir.is_relative_to(tmp_path / "one")
    one.app.start()
    try:
        play_to_end(one, track)
        ended = [e for e in one.events if isinstance(e, TrackEnded) and e.track_id == track]
        assert ended[0].completed, one.app.player.status().failures
    finally:
        one.app.stop()
    assert len(_downloads(one_client, track)) == 1, "the play did not go into the service's own cache"
    assert _downloads(two_client, track) == [], "the play went into the other service's cache"

    two.app.start()
    try:
        play_to_end(two, track)
    finally:
        two.app.stop()
    assert len(_downloads(two_client, track)) == 1
    one_client.close()
    two_client.close()
