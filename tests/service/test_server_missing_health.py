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

from collections.abc import Iterator
from pathlib import Path

import pytest
from lanservicekit import lan_service, library_health, queue_and_play, served_index
from servicekit import wait_for

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.service.events import TrackStarted
from moodspeaker.vision.expression import default_model_json

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LibraryIndex, list[str]]]:
    """A library server's index of two analysed tone tracks, and the tracks' ids."""
    index, ids = served_index(tmp_path)
    try:
        yield index, ids
    finally:
        index.close()


def test_a_library_server_off_is_named_and_clears_once_its_track_plays(
    tmp_path: Path, served: tuple[LibraryIndex, list[str]]
) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    index, (first, second) = served
    server = LibraryServer(index, "127.0.0.1", 0).start()
    service = lan_service(tmp_path / "data", server.url, synced=2)
    app, events = service.app, service.events
    app.start()
    try:
        server.stop()  # the server is off: the play's download fails
        queue_and_play(app, first)
        wait_for(lambda: library_health(app)["state"] == "missing", what="health's library missing")
        detail = library_health(app)["detail"]
        assert server.url in detail and "unreachable" in detail, detail
        assert "disk" not in detail, f"a library server's track blamed on a disk: {detail}"
        wait_for(lambda: app.player.status().current is None and not app.player.status().queue, what="idle")

        server = LibraryServer(index, "127.0.0.1", server.port).start()  # back, at the same address
        queue_and_play(app, second)
        wait_for(
            lambda: any(isinstance(e, TrackStarted) and e.track_id == second for e in events),
            what="the server's track playing",
        )
        wait_for(lambda: library_health(app)["state"] == "ok", what="health's library ok again")
        assert library_health(app)["detail"] == "2 tracks"

        server.stop()  # off again, then "delete everything": the detail no longer names the track
        queue_and_play(app, first)
        wait_for(lambda: library_health(app)["state"] == "missing", what="health's library missing again")
        assert first in library_health(app)["detail"], "the test does not see the track where it looks"
        app.delete_data()
        library = library_health(app)
        assert library["state"] == "missing" and first not in library["detail"], library
        assert server.url in library["detail"], library
    finally:
        service.close()
        server.stop()
