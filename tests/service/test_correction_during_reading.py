"""A mood correction made while a reading is being handled is published after that reading's events,
in the order the mood in force changed.

Why: `_on_result` changed the state under the appliance's lock (the reading, and `told`, the
correction in force: none) but published after releasing it, with `_follow_tpu()` in between.  A
correction (`correct_mood`, from the page or MQTT) made in that gap published its MoodChanged(sad)
first, then the reading's MoodObserved(happy, told=None): Home Assistant's mood showed happy while
the correction held, until the next reading.  Here the correction is made at that exact moment, from
the reading's own `_follow_tpu` (a hook on the appliance, no timing); the events of the reading's
handling, folded as MQTT's state topics fold them (state_feed: a reading shows `told` or what it read,
a change its mood), must end on the mood in force.  Real appliance (real mood filter, player on SDL's
dummy driver, recommender on SQLite); only the camera is scripted.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.mood.filter import MoodState
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodChanged, MoodObserved

pytestmark = pytest.mark.timeout(120)


def shown(events: list[Event]) -> str | None:
    """The mood MQTT's state topics show after `events` (state_feed.reading, mood_changed)."""
    mood = None
    for event in events:
        if isinstance(event, MoodObserved):
            mood = event.told[0] if event.told else event.mood
        elif isinstance(event, MoodChanged):
            mood = event.mood
    return mood


def test_a_correction_during_a_reading_is_published_after_it(tmp_path: Path) -> None:
    script = Script("happy")
    app, bus = build(tmp_path, script)
    control = ControlAPI(app, bus)
    events: list[Event] = []
    bus.subscribe(events.append)
    armed, done = threading.Event(), threading.Event()
    handled: list[Event] = []  # the events up to the end of the hooked reading's handling
    follow_tpu, on_result = app._follow_tpu, app.stage._on_result

    def correcting() -> None:  # the reading's gap: its state changed, its events maybe not out yet
        if armed.is_set():
            armed.clear()
            control.execute("correct_mood", {"mood": "sad"})
        follow_tpu()

    def reading(state: MoodState, observation: object, now: float) -> None:
        hooked = armed.is_set()
        try:
            on_result(state, observation, now)
        finally:
            if hooked:
                handled.extend(events)
                done.set()

    app._follow_tpu = correcting  # type: ignore[method-assign]  # the hook: the test's, on this one
    app.stage._on_result = reading
    app.start()
    try:
        wait_for(lambda: any(isinstance(e, MoodChanged) and e.mood == "happy" for e in list(events)))
        armed.set()  # the next reading (happy, no change) corrects the mood while it is handled
        assert done.wait(60), "no reading handled after the hook was armed"
        assert app._current_mood().mood == "sad"  # the correction holds: the camera read no change
        assert any(isinstance(e, MoodChanged) and e.mood == "sad" for e in handled), handled
        assert shown(handled) == "sad", handled[-3:]
    finally:
        app.stop()
