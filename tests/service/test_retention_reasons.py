"""Retention (ControlAPI.delete_data with `before`) trims the "why this track" records by date too.

Why: privacy.retention_days deletes what is older than the cut-off: the page prunes its mood history
and the speaker forgets the feedback given before it.  Health keeps the explanations of the tracks
started last (the page's "why these tracks", HealthReport on MQTT), each quoting the mood the camera
read then ("you look happy (90% sure)"), with when it was recorded; those older than the cut-off were
kept until "delete everything".  Real player on SDL's dummy driver, real recommender on SQLite; only
the camera is scripted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI]]:
    with running(tmp_path, Script("happy")) as (app, control, _):
        yield app, control


def _records(control: ControlAPI) -> list[dict[str, Any]]:
    return list(control.state()["health"]["reasons"])


def test_records_older_than_the_cut_off_go_and_newer_ones_stay(started: tuple[Appliance, ControlAPI]) -> None:
    _app, control = started
    wait_for(lambda: _records(control), what="the first track's explanation")
    first = _records(control)[-1]["ts"]
    wait_for(lambda: time.time() > first, what="the clock past the first explanation")
    cut = time.time()
    control.execute("next", {})  # a track starts after the cut-off: its explanation is newer
    wait_for(lambda: any(r["ts"] >= cut for r in _records(control)), what="the next track's explanation")
    before = _records(control)
    newer = [r for r in before if r["ts"] >= cut]
    assert len(newer) < len(before)  # there is something older to trim

    assert control.delete_data(before=cut)  # the privacy retention

    after = _records(control)
    assert all(r in after for r in newer), "records newer than the cut-off must stay"
    assert all(r["ts"] >= cut for r in after), [r for r in after if r["ts"] < cut]
