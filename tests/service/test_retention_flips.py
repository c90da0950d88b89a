"""Retention and "delete everything" reach the conductor's flips (when a mood made the music change,
and to which track).

Why: a flip holds no mood, but it ties a time to a track played because of the mood read then (the
first pick of a re-plan that cut the track playing, or of the autoplay on the first mood), so it is a
trace of the mood history that privacy.retention_days promises to delete once older than its cut-off,
and "delete everything" at once.  The conductor kept the last 500 flips until "delete everything",
whatever their age.  Real player on SDL's dummy driver, real recommender on SQLite; only the camera is
scripted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI, Script]]:
    script = Script("happy")
    with running(tmp_path, script) as (app, control, _events):
        yield app, control, script


def test_flips_older_than_the_cut_off_go_and_delete_everything_takes_the_rest(
    started: tuple[Appliance, ControlAPI, Script],
) -> None:
    app, control, script = started
    wait_for(lambda: list(app.conductor.flips), what="the autoplay on the first mood")
    autoplay = list(app.conductor.flips)
    # a little past it: the cut-off is a wall-clock time, the flips are timed on the monotonic clock
    wait_for(lambda: time.monotonic() > autoplay[-1][0] + 0.1, what="the clock past the autoplay")
    cut, since = time.time(), time.monotonic()

    script.mood = "sad"  # a flip after the cut-off: the happy track clashes with the sad picks
    wait_for(lambda: any(at >= since for at, _ in app.conductor.flips), what="the switch to the sad picks")
    newer = [f for f in app.conductor.flips if f[0] >= since]

    assert control.delete_data(before=cut)  # the privacy retention

    kept = list(app.conductor.flips)
    assert all(f not in kept for f in autoplay), kept
    assert all(f in kept for f in newer), "flips after the cut-off must stay"

    assert control.delete_data()  # delete everything
    assert list(app.conductor.flips) == []
