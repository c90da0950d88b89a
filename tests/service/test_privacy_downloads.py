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
from lanservicekit import LanService, lan_service, play_to_end, running_server
from servicekit import wait_for

from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.vision.expression import default_model_json

pytestmark = pytest.mark.timeout(180)
DAY_S = 86400.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A library server offering two analysed tone tracks; its URL and the tracks' ids."""
    with running_server(tmp_path) as (srv, ids):
        yield srv.url, ids


def _play(service: LanService, track: str) -> None:
    """Play the track (queued, then Play) until its end is announced and the player is idle."""
    play_to_end(service, track)
    wait_for(lambda: service.app.player.status().current is None, what="the player idle")


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
    service = lan_service(tmp_path / "data", url, synced=2)
    app, client = service.app, service.client
    app.start()
    try:
        wait_for(lambda: app.retention.runs >= 1, what="the retention at start")
        for track in (old, recent):
            _play(service, track)
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
        _play(service, recent)  # the music plays on: downloaded again
        assert [n.partition(".")[0] for n in _downloads(client)] == [recent]
    finally:
        service.close()
