"""Retention (ControlAPI.delete_data with `before`) trims the "why this track" records by when the
explanation was made, not when its track started.

Why: privacy.retention_days deletes what is older than the cut-off: the page prunes its mood history
and the speaker forgets the feedback given before it.  Health keeps the explanations of the tracks
started last (the page's "why these tracks", HealthReport on MQTT), each quoting the mood the camera
read when the pick was made ("you look happy (90% sure)").  A track queued before the cut-off can
start after it (the queue holds a few tracks, a speaker can stay paused overnight): its record was
dated by the start and so kept, although what it quotes is older than the cut-off.  Real player on
SDL's dummy driver, real recommender on SQLite; only the camera is scripted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.service.control import ControlAPI

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[ControlAPI, Script]]:
    script = Script("happy")
    with running(tmp_path, script) as (_app, control, _events):
        yield control, script


def _records(control: ControlAPI) -> list[dict[str, Any]]:
    return list(control.state()["health"]["reasons"])


def test_records_go_by_when_their_explanation_was_made(started: tuple[ControlAPI, Script]) -> None:
    control, script = started
    wait_for(lambda: _records(control), what="the first track's explanation")
    control.execute("pause", {})  # left paused: nothing ends, nothing more is planned
    state = control.state()
    assert state["queue"] and state["queue"][0]["reason"], state["queue"]
    queued = state["queue"][0]  # picked with the first track, before it started
    first = _records(control)[-1]["ts"]
    wait_for(lambda: time.time() > first, what="the clock past the first track's start")
    cut = time.time()

    control.execute("play", {})
    control.execute("next", {})  # a track picked before the cut-off starts after it

    def its_record() -> list[dict[str, Any]]:
        return [
            r
            for r in _records(control)
            if (r["track_id"], r["reason"]) == (queued["track_id"], queued["reason"]) and r["ts"] >= cut
        ]

    # made before the cut-off, started after it
    wait_for(its_record, what="the start of the track queued before the cut-off")

    script.mood = "sad"  # picks made after the cut-off
    wait_for(
        lambda: any("you look sad" in q["reason"] for q in control.state()["queue"]),
        what="the picks for the new mood",
    )
    control.execute("next", {})
    wait_for(
        lambda: any("you look sad" in r["reason"] for r in _records(control)),
        what="a track picked after the cut-off started",
    )
    newer = [r for r in _records(control) if "you look sad" in r["reason"]]

    assert control.delete_data(before=cut)  # the privacy retention

    after = _records(control)
    assert not its_record(), "an explanation made before the cut-off must go, whenever its track started"
    assert all(r in after for r in newer), "explanations made after the cut-off must stay"
    assert all("you look sad" in r["reason"] for r in after), after
