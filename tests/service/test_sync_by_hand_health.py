"""Health's `library` follows a mirror synced by hand (`moodspeaker library sync URL`) while the service runs.

Why: a speaker whose music is a library server says `empty` until its first sync.  A person who runs
`moodspeaker library sync URL` by hand while the service runs fills the mirror the service reads
(`lan-cache/<server>/index.db`): the service opens it and its recommender plans from its tracks at
once (they play), but health kept saying `empty` ("0 tracks") until the service's next rescan.
Health says what is true: the service notices the tracks at its periodic health report.  The real
wiring (`build_parts` from the config, a scripted camera), a real library server on the loopback,
the real CLI in its own process, and the real player on SDL's dummy driver.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lanservicekit import lan_service, library_health, running_server
from servicekit import wait_for

from moodspeaker.config import save
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import HealthReport, TrackStarted
from moodspeaker.vision.expression import default_model_json

pytestmark = pytest.mark.timeout(240)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LibraryServer, list[str]]]:
    """A running library server offering two analysed tone tracks, and their ids."""
    with running_server(tmp_path) as served:
        yield served


def test_health_follows_a_mirror_synced_by_hand_while_the_service_runs(
    tmp_path: Path, server: tuple[LibraryServer, list[str]]
) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    srv, (first, _second) = server
    service = lan_service(tmp_path / "data", srv.url)
    app, events = service.app, service.events
    path = tmp_path / "config.toml"
    save(app.config, path)
    app.start()
    try:
        assert library_health(app)["state"] == "empty"  # nothing mirrored yet
        cli = [sys.executable, "-m", "moodspeaker", "-c", str(path), "library", "sync", srv.url]
        done = subprocess.run(cli, capture_output=True, text=True, env=os.environ.copy(), check=False)
        assert done.returncode == 0, done.stderr
        assert "2 new or updated" in done.stdout, done.stdout

        # the service plays from the mirror synced by hand, without a rescan
        [found] = [t for t in app.parts.recommender.source.tracks() if t.id == first]
        reports = sum(isinstance(e, HealthReport) for e in events)
        wait_for(
            lambda: sum(isinstance(e, HealthReport) for e in events) > reports + 1, 90.0, "health reports"
        )
        library = library_health(app)
        assert (library["state"], library["detail"]) == ("ok", "2 tracks"), library
        app.player.set_queue([QueueItem(found, "queued")])
        wait_for(lambda: [i.track.id for i in app.player.status().queue] == [first], what="the queue")
        app.play()
        wait_for(
            lambda: any(isinstance(e, TrackStarted) and e.track_id == first for e in events), 60.0, "play"
        )
    finally:
        service.close()
