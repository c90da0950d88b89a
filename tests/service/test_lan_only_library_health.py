"""Health's `library` on a speaker whose only music is a library server: "ok" with the mirrored count.

Why: a privacy audit saw health say `empty` ("no tracks") while tracks mirrored from a library server
played.  Its script synced the mirror by calling the rescan before building the service, so the
state `build_parts` took (no tracks then) was never updated: the service's own rescans (the one
`moodspeaker run` starts once the camera is ready, Rescan on the page) set the state after each
pass.  This pins what a real speaker says: empty before its first sync, "ok" with the count after
it, "ok" at a restart from the mirror, and still "ok" when a rescan finds the server off (the mirror
plays).  The real wiring (`build_parts` from the config, a scripted camera), a real library server on
the loopback, no music folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lanservicekit import LanService, lan_service, running_server
from servicekit import wait_for

from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, StateChanged
from moodspeaker.vision.expression import default_model_json

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LibraryServer]:
    """A running library server offering two analysed tone tracks."""
    with running_server(tmp_path) as (srv, _):
        yield srv


def _started(data: Path, url: str) -> LanService:
    """A service on `url` alone (no music folder), built as `moodspeaker run` builds it, started."""
    service = lan_service(data, url)
    service.app.start()
    return service


def _rescanned(app: Appliance, events: list[Event]) -> dict[str, Any]:
    """The service's rescan (the first sync, for a new speaker) run to its end; health's library then."""
    passes = sum(isinstance(e, StateChanged) and e.key == "library" for e in events)
    app.rescan_library()
    wait_for(
        lambda: sum(isinstance(e, StateChanged) and e.key == "library" for e in events) > passes,
        what="the rescan's pass",
    )
    library: dict[str, Any] = app.health_snapshot()["components"]["library"]
    return library


def test_a_speaker_on_a_library_server_alone_says_ok_with_the_mirrored_count(
    tmp_path: Path, server: LibraryServer
) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    data = tmp_path / "data"
    service = _started(data, server.url)
    app = service.app
    try:
        assert app.health_snapshot()["components"]["library"]["state"] == "empty"  # nothing mirrored yet
        library = _rescanned(app, service.events)
        assert (library["state"], library["detail"]) == ("ok", "2 tracks"), library
    finally:
        service.close()

    service = _started(data, server.url)  # a restart: the mirror is there before any sync
    app = service.app
    try:
        library = app.health_snapshot()["components"]["library"]
        assert (library["state"], library["detail"]) == ("ok", "2 tracks"), library
        server.stop()  # the server is off: the rescan's sync fails, the mirror still plays
        library = _rescanned(app, service.events)
        assert (library["state"], library["detail"]) == ("ok", "2 tracks"), library
    finally:
        service.close()
