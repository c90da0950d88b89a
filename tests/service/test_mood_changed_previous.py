"""`mood_changed`'s `previous` is the mood announced last, a listener's correction included.

Why: the camera's next change after a correction (ControlAPI `correct_mood`, from the page or MQTT)
named the mood the filter had read before it as `previous`: "happy", corrected to "contempt", then
read as "neutral", said `previous: happy` twice in a row, and a mood the camera had not read yet
("unknown", corrected to "sad", then read as "happy") said `previous: unknown`, so an automation
keyed on the change from the mood it was told saw a change that never happened.  Now every
MoodChanged follows on from the one before it: its `previous` is the mood that one announced.  The
camera coming to read the corrected mood itself is no change, so no event says "from happy to happy".
Real appliance (real mood filter, player on SDL's dummy driver, recommender on SQLite); only the
camera is scripted.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.mood.classes import CONTEMPT, UNKNOWN
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodChanged, MoodObserved

pytestmark = pytest.mark.timeout(120)

Started = tuple[Appliance, ControlAPI, list[Event], Script]


@pytest.fixture
def script() -> Script:
    return Script("happy")


@pytest.fixture
def started(tmp_path: Path, script: Script) -> Iterator[Started]:
    app, bus = build(tmp_path, script)
    events: list[Event] = []
    bus.subscribe(events.append)
    app.start()
    try:
        yield app, ControlAPI(app, bus), events, script
    finally:
        app.stop()


def _changes(events: list[Event]) -> list[tuple[str, str]]:
    """(mood, previous) of every MoodChanged so far, in order."""
    return [(e.mood, e.previous) for e in list(events) if isinstance(e, MoodChanged)]


def _announced(events: list[Event], mood: str) -> bool:
    return any(m == mood for m, _ in _changes(events))


def _follow_on(changes: list[tuple[str, str]]) -> None:
    """Each change starts from the mood the one before it announced (the first from unknown), and
    none is a change to the mood already announced."""
    assert changes and changes[0][1] == UNKNOWN, changes
    assert all(after[1] == before[0] for before, after in pairwise(changes)), changes
    assert all(mood != previous for mood, previous in changes), changes


def _read_twice(events: list[Event], mood: str) -> None:
    """Until the camera's reading of `mood` has been handled whole: a reading after it has been
    published (each reading's events, MoodObserved then any MoodChanged, come from one call)."""

    def done() -> bool:
        observed = [e for e in list(events) if isinstance(e, MoodObserved)]
        first = next((i for i, e in enumerate(observed) if e.mood == mood), None)
        return first is not None and len(observed) > first + 1

    wait_for(done, what=f"the {mood} reading handled")


def test_the_change_after_a_correction_starts_from_the_corrected_mood(started: Started) -> None:
    app, control, events, script = started
    wait_for(lambda: _announced(events, "happy"), what="the happy face read")
    control.execute("correct_mood", {"mood": CONTEMPT})
    assert _changes(events)[-1] == (CONTEMPT, "happy")
    script.mood = "neutral"
    wait_for(lambda: _announced(events, "neutral"), what="the neutral face read")
    assert _changes(events)[-1] == ("neutral", CONTEMPT)
    control.execute("correct_mood", {"mood": "angry"})
    control.execute("set_camera", {"enabled": False})  # the reading ends: from the corrected mood
    assert _changes(events)[-1] == (UNKNOWN, "angry")
    _follow_on(_changes(events))
    assert app.state()["mood"] == UNKNOWN


@pytest.mark.parametrize("script", [Script(None)])
def test_a_correction_before_any_reading_is_where_the_next_change_starts(started: Started) -> None:
    _app, control, events, script = started
    wait_for(lambda: any(isinstance(e, MoodObserved) for e in list(events)), what="a reading")
    control.execute("correct_mood", {"mood": "sad"})
    assert _changes(events) == [("sad", UNKNOWN)]
    script.mood = "happy"  # the first mood read is no change of the listener's: the correction holds
    _read_twice(events, "happy")
    assert _changes(events) == [("sad", UNKNOWN)]
    script.mood = "neutral"
    wait_for(lambda: _announced(events, "neutral"), what="the neutral face read")
    assert _changes(events) == [("sad", UNKNOWN), ("neutral", "sad")]
    _follow_on(_changes(events))


@pytest.mark.parametrize("script", [Script(None)])
def test_the_camera_reading_the_corrected_mood_is_no_change(started: Started) -> None:
    app, control, events, script = started
    wait_for(lambda: any(isinstance(e, MoodObserved) for e in list(events)), what="a reading")
    control.execute("correct_mood", {"mood": "happy"})
    script.mood = "happy"
    _read_twice(events, "happy")
    assert _changes(events) == [("happy", UNKNOWN)]  # no "from happy to happy"
    assert app.state()["mood"] == "happy"
    script.mood = "sad"
    wait_for(lambda: _announced(events, "sad"), what="the sad face read")
    assert _changes(events) == [("happy", UNKNOWN), ("sad", "happy")]
    _follow_on(_changes(events))
