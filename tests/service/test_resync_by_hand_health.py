"""Health's `library` count follows a library already "ok" that is synced again by hand.

`moodspeaker library sync URL` run by hand while the service runs changes the mirror the service
reads: the service plans from the new tracks at once, but health kept the count of its own last
rescan ("ok", "2 tracks") until its next one; only a library called "empty" was noticed at the health
report (tests/service/test_sync_by_hand_health).  Now the count follows the index at each health
report.  The real wiring (`build_parts` from the config, a scripted camera), a real library server
on the loopback whose index gains a track, and the real CLI in its own process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lanservicekit import lan_service, library_health, serve_tone, served_index
from servicekit import wait_for

from moodspeaker.config import save
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.service.events import HealthReport
from moodspeaker.vision.expression import default_model_json

pytestmark = pytest.mark.timeout(240)


def test_health_counts_the_tracks_a_sync_by_hand_added(tmp_path: Path) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    index, _ids = served_index(tmp_path)
    srv = LibraryServer(index, "127.0.0.1", 0).start()
    service = lan_service(tmp_path / "data", srv.url, synced=2)
    app, events = service.app, service.events
    path = tmp_path / "config.toml"
    save(app.config, path)
    app.start()
    try:
        ok = ("ok", "2 tracks")
        wait_for(lambda: (library_health(app)["state"], library_health(app)["detail"]) == ok, 90.0, str(ok))
        serve_tone(index, tmp_path, "c", 660)  # the server's library grows...
        cli = [sys.executable, "-m", "moodspeaker", "-c", str(path), "library", "sync", srv.url]
        done = subprocess.run(cli, capture_output=True, text=True, env=os.environ.copy(), check=False)
        assert done.returncode == 0, done.stderr
        assert "1 new or updated" in done.stdout, done.stdout  # ...and is synced by hand

        assert len(app.parts.recommender.source.tracks()) == 3  # the service reads the new mirror
        reports = sum(isinstance(e, HealthReport) for e in events)
        wait_for(
            lambda: sum(isinstance(e, HealthReport) for e in events) > reports + 1, 90.0, "health reports"
        )
        library = library_health(app)
        assert (library["state"], library["detail"]) == ("ok", "3 tracks"), library
    finally:
        service.close()
        srv.stop()
        index.close()
