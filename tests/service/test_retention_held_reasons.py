"""Retention (ControlAPI.delete_data with `before`) also expires the explanations of the tracks held.

Why: every track playing or queued carries the explanation it was picked with, quoting the mood read
then ("you look happy (90% sure)"), in the state (the page, MQTT's now playing), in state.json and in
the TrackStarted (and health's "why these tracks") when it starts.  A track can stay queued or paused
past the retention cut-off (privacy.retention_days is 1 at least: a speaker paused overnight), and its
explanation was kept as long as it stayed.  From a retention run on, one made before the cut-off is
reported as none; the music carries on, and picks made since explain themselves.  Real player on SDL's
dummy driver, real recommender on SQLite; only the camera is scripted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servicekit import Script, running, wait_for

from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, TrackStarted

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI, list[Event], Script]]:
    script = Script("happy")
    with running(tmp_path, script) as (app, control, events):
        yield app, control, events, script


def _held(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [*([state["now_playing"]] if state["now_playing"] else []), *state["queue"]]


def test_explanations_made_before_the_cut_off_are_no_longer_reported(
    started: tuple[Appliance, ControlAPI, list[Event], Script],
) -> None:
    app, control, events, script = started
    wait_for(lambda: control.state()["health"]["reasons"], what="the first track started")
    control.execute("pause", {})  # left paused: nothing ends, nothing more is planned
    state = control.state()
    early = _held(state)
    assert state["queue"] and all(h["reason"] for h in early), early
    first = state["health"]["reasons"][-1]["ts"]  # the picks were applied before it started
    wait_for(lambda: time.time() > first, what="the clock past the first track's start")
    cut = time.time()

    assert control.delete_data(before=cut)  # the privacy retention

    state = control.state()
    assert [h["track_id"] for h in _held(state)] == [h["track_id"] for h in early]  # the music stays
    assert [h["reason"] for h in _held(state)] == [""] * len(early), _held(state)
    saved = json.loads((Path(app.config.device.data_dir) / "state.json").read_text())  # saved at once
    assert [saved["current"]["reason"], *(q["reason"] for q in saved["queue"])] == [""] * len(early)

    seen = len(events)
    control.execute("play", {})
    control.execute("next", {})  # a track queued before the cut-off starts after it
    queued = early[1]["track_id"]

    def its_start() -> TrackStarted | None:
        return next((e for e in events[seen:] if isinstance(e, TrackStarted) and e.track_id == queued), None)

    wait_for(its_start, what="the next track")
    start = its_start()
    assert start is not None and start.reason == ""  # nor on MQTT
    record = wait_for_record(control, start.track_id)
    assert record["reason"] == "" and record["ts"] >= cut  # nor in health's "why these tracks"

    script.mood = "sad"  # a plan made after the cut-off explains itself
    wait_for(
        lambda: any("you look sad" in q["reason"] for q in control.state()["queue"]),
        what="the picks for the new mood, with their explanations",
    )


def wait_for_record(control: ControlAPI, track_id: str) -> dict[str, Any]:
    """Health's record of the start of `track_id` (the last one)."""

    def record() -> dict[str, Any] | None:
        found = [r for r in control.state()["health"]["reasons"] if r["track_id"] == track_id]
        return found[-1] if found else None

    wait_for(record, what=f"health's record of {track_id}")
    found = record()
    assert found is not None
    return found
