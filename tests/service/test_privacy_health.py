"""Health's incidents and a detail naming a track, under "delete everything" and the retention.

Why: health keeps the last 20 incidents, each with its time, and some name a track ("cannot open
<file>", "stopped the decoder on <track>") or a listener ("profile not changed to 'Kim'"); the
library's `missing` state names the file a play could not open, `since` that moment.  Together they
said which track was to play when, and neither "delete everything" nor the retention reached them:
the page's Health tab and MQTT's health showed it after the listener had deleted their data.  Now
the incidents before the deletion (or the cut-off) go, and the detail says a track could not be
opened without naming it; the state stays `missing` (the disk may still be unplugged).  Real
appliance, real player on SDL's dummy driver, a real library whose file was removed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.player.queue import QueueItem
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import TrackStarted

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def missed(tmp_path: Path) -> Iterator[Appliance]:
    """A running appliance (no automatic picks) whose queued track `happy1` could not be opened (its
    file gone) before `sad1` played; health names the file."""
    app, bus = build(tmp_path, Script(None), track_s=30.0, **{"recommend.strategy": "off"})
    started: list[str] = []
    bus.subscribe(lambda e: started.append(e.track_id) if isinstance(e, TrackStarted) else None)
    tracks = {t.id: t for t in app.parts.recommender.source.tracks()}
    Path(tracks["happy1"].location).unlink()
    app.start()
    try:
        app.player.set_queue([QueueItem(tracks[t], "queued") for t in ("happy1", "sad1")])
        wait_for(lambda: len(app.player.status().queue) == 2, what="the queue")
        app.play()
        wait_for(lambda: "sad1" in started, what="the track after the missing one")
        health = app.state()["health"]
        assert "happy1.ogg" in health["components"]["library"]["detail"], health
        assert any("happy1.ogg" in i["message"] for i in health["incidents"]), health
        yield app
    finally:
        app.stop()


def _names_the_track(app: Appliance) -> bool:
    health = app.state()["health"]
    return any("happy1" in json.dumps(health[k]) for k in ("incidents", "components", "failed_tracks"))


def test_delete_everything_leaves_no_incident_nor_detail_naming_a_track(missed: Appliance) -> None:
    app = missed
    app.delete_data()
    health = app.state()["health"]
    assert not _names_the_track(app), health
    assert health["incidents"] == []
    library = health["components"]["library"]
    assert library["state"] == "missing" and "could not be opened" in library["detail"], library


def test_the_retention_takes_them_once_older_than_its_cut_off(missed: Appliance) -> None:
    app = missed
    app.delete_data(time.time() - 3600.0)  # the retention with a cut-off an hour ago: all is newer
    assert _names_the_track(app)
    app.delete_data(time.time() + 1.0)  # a cut-off after the missing track: it is older
    assert not _names_the_track(app), app.state()["health"]
    assert app.state()["health"]["components"]["library"]["state"] == "missing"
