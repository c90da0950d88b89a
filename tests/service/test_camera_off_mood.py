"""Switching the camera off (the privacy switch, ControlAPI `set_camera`) ends the mood reading.

Why: the service kept the last reading while the camera was off: new picks still said "you look
angry" while the page showed "Camera off", and when the camera came back on the old reading was
published as live (MQTT's mood topics, the page) until the filter moved on.  A mood read by a camera
that is off is no mood: switching off resets the filter (a capture under way is dropped, as "delete
everything" drops one), the mood is unknown and plans are made as for an unknown mood, while the music
playing carries on; switching on starts a fresh reading.  Real player on SDL's dummy driver, real
recommender and mood filter; only the camera is scripted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.config import with_changes
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodChanged, MoodObserved

pytestmark = pytest.mark.timeout(120)

Started = tuple[Appliance, ControlAPI, list[Event], Script]


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Started]:
    script = Script("angry")
    # a capture held on purpose (script.hang) is not a stuck accelerator: no watchdog restart
    app, bus = build(tmp_path, script, **{"classifier.stuck_timeout_s": 60.0})
    events: list[Event] = []
    bus.subscribe(events.append)
    app.start()
    try:
        wait_for(lambda: app.state()["mood"] == "angry", what="the angry face read")
        yield app, ControlAPI(app, bus), events, script
    finally:
        script.release.set()
        app.stop()


#: How a pick planned while the camera is off begins (recommend.explain.mood_phrase).
OFF = "camera off: music for no particular mood; "


def _observed(events: list[Event]) -> list[MoodObserved]:
    return [e for e in events if isinstance(e, MoodObserved)]


def _changes(events: list[Event]) -> list[tuple[str, str]]:
    return [(e.mood, e.previous) for e in events if isinstance(e, MoodChanged)]


def test_switching_off_ends_the_reading_and_the_music_carries_on(started: Started) -> None:
    app, control, events, _script = started
    wait_for(lambda: app.state()["player"] == "playing", what="music")
    playing = app.state()["now_playing"]["track_id"]
    seen = len(events)
    state = control.execute("set_camera", {"enabled": False})
    assert state["camera"] is False
    read = (state["mood"], state["confidence"], state["valence"], state["arousal"], state["face"])
    assert read == ("unknown", 0, 0, 0, False)
    observed = _observed(events[seen:])
    assert observed and (observed[-1].mood, observed[-1].camera) == ("unknown", False)
    assert _changes(events[seen:]) == [("unknown", "angry")]
    assert (state["now_playing"]["track_id"], state["player"]) == (playing, "playing")  # not cut

    # new picks are planned as for an unknown mood, not for the last reading
    app.apply_config(with_changes(app.config, {"recommend.profiles": ["default", "Kim"]}))
    control.execute("set_profile", {"profile": "Kim"})  # plans a whole new queue at once
    wait_for(
        lambda: app.state()["queue"] and all(q["reason"].startswith(OFF) for q in app.state()["queue"]),
        what="picks planned for an unknown mood",
    )
    assert not any("angry" in q["reason"] for q in app.state()["queue"])
    assert app.state()["now_playing"]["track_id"] == playing


def test_a_refill_with_the_camera_off_says_the_camera_is_off(started: Started) -> None:
    """A refill planned while the camera is off said 'no face seen yet' (the filter starts afresh),
    as if the camera were looking at an empty room: it says the camera is off."""
    app, control, _events, _script = started
    wait_for(lambda: app.state()["player"] == "playing", what="music")
    control.execute("set_camera", {"enabled": False})
    queued = len(app.state()["queue"])
    for _ in range(queued):  # the queue planned for the angry face runs out: a refill tops it up
        control.execute("next")
    wait_for(lambda: app.state()["queue"], what="a refill")
    reasons = [q["reason"] for q in app.state()["queue"]]
    assert all(r.startswith(OFF) for r in reasons), reasons


def test_switching_on_starts_a_fresh_reading_without_the_capture_under_way(started: Started) -> None:
    app, control, events, script = started
    script.hang.set()
    wait_for(lambda: not script.hang.is_set(), what="a capture of the angry face being classified")
    reads = script.reads
    control.execute("set_camera", {"enabled": False})
    script.mood = None  # the listener has gone
    seen = len(events)
    assert control.execute("set_camera", {"enabled": True})["mood"] == "unknown"
    script.release.set()  # the capture taken before the switch finishes now, with the camera on
    # the stage captures again only once that capture is done (one thread)
    wait_for(lambda: script.reads > reads, what="a capture after switching on")
    wait_for(lambda: any(e.camera for e in _observed(events[seen:])), what="a fresh reading")
    readings = [(e.mood, e.face, e.camera) for e in _observed(events[seen:])]
    assert all(r == ("unknown", False, True) for r in readings), readings  # no face: nothing else
    assert _changes(events[seen:]) == []
    assert app.state()["mood"] == "unknown"

    script.mood = "angry"  # the listener is back: read afresh, from unknown
    wait_for(lambda: _changes(events[seen:]), what="the mood read again")
    assert _changes(events[seen:])[0] == ("angry", "unknown")
    first_face = next(e for e in _observed(events[seen:]) if e.face)
    assert first_face.mood == "unknown"  # one capture is not a mood yet (mood.min_dwell_s)
