"""While a listener's correction holds, the MQTT mood topics show the corrected mood (the mood in force,
as the service's state and the page show it), not the camera's reading; once the camera reads a change
the correction ends and they follow the camera again.

Why: after `correct_mood` "sad" with the camera reading happy, each capture published the camera's
reading on the state topics while the state (and every snapshot the bridge published) said sad, so
`state/mood` went happy -> sad -> happy within one capture and a "mood is sad" automation in Home
Assistant flapped.  The camera's readings still reach the bus as they were read (`MoodObserved`: the
page's mood history plots what the camera read).  The real Appliance (real mood filter) and its bridge
on a real Mosquitto; only the camera and classifier are scripted.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained

from moodspeaker.service.events import Event, MoodObserved
from polling import until

pytestmark = pytest.mark.timeout(120)

MOOD = f"{ROOT}/state/mood"
CONFIDENCE = f"{ROOT}/state/confidence"
VOLUME = f"{ROOT}/state/volume"
CAPTURES = 6  # readings of the camera's mood while the correction holds


class _Readings:
    """The camera's readings (`MoodObserved`) published on the bus, from `start()` on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: list[MoodObserved] | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, MoodObserved):
            with self._lock:
                if self._read is not None:
                    self._read.append(event)

    def start(self) -> None:
        with self._lock:
            self._read = []

    def moods(self) -> list[str]:
        with self._lock:
            return [event.mood for event in self._read or []]

    def confidences(self) -> list[float]:
        with self._lock:
            return [event.confidence for event in self._read or []]


def _values(watcher: Watcher, topic: str) -> list[Any]:
    return [(m.json()["status"], m.json()["value"]) for m in watcher.on(topic)]


def _marked(app: Any, watcher: Watcher, volume: float) -> None:
    """Everything the bridge handled before now has reached the watcher: a volume change is handled
    after the events before it (the bridge keeps their order)."""
    app.set_volume(volume)
    watcher.wait_for(VOLUME, lambda m: m.json()["value"] == volume, BUSY)
    watcher.sync()


def test_the_mood_topics_show_a_correction_while_it_holds(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    shown = Shown("happy")
    readings = _Readings()
    with bridged(tmp_path, broker, shown) as (app, _bridge):
        app.bus.subscribe(readings)
        watcher.wait_for(MOOD, lambda m: m.json()["value"] == "happy", BUSY)
        watcher.publish(f"{ROOT}/correct_mood/set", '{"mood": "sad"}')
        watcher.wait_for(f"{ROOT}/event/mood_changed", lambda m: m.json()["mood"] == "sad", BUSY)
        watcher.wait_for(MOOD, lambda m: m.json()["value"] == "sad", BUSY)
        readings.start()
        watcher.clear()

        # the camera goes on reading happy: no change, so the correction holds
        until(lambda: len(readings.moods()) >= CAPTURES, BUSY, what=f"{CAPTURES} captures")
        _marked(app, watcher, 0.41)
        state = app.state()
        assert (state["mood"], state["confidence"]) == ("sad", 1.0), state
        assert set(readings.moods()) == {"happy"}, readings.moods()  # the readings are the camera's
        moods = _values(watcher, MOOD)
        assert set(moods) <= {("live", "sad")}, moods
        assert json.loads(retained(broker.port, MOOD)[MOOD])["value"] == "sad"
        confidences = _values(watcher, CONFIDENCE)
        assert set(confidences) <= {("live", 1.0)}, confidences

        # the camera reads a change: the correction ends, the topics follow the camera again
        watcher.clear()
        readings.start()
        shown.mood = "neutral"
        watcher.wait_for(MOOD, lambda m: m.json()["value"] == "neutral", BUSY)
        seen = len(readings.moods())
        until(lambda: len(readings.moods()) >= seen + 2, BUSY, what="captures after the change")
        _marked(app, watcher, 0.42)
        assert app.state()["mood"] == "neutral"
        assert _values(watcher, MOOD)[-1] == ("live", "neutral"), _values(watcher, MOOD)
        last = watcher.last(CONFIDENCE)  # the camera's again, not the correction's
        assert last is not None and last.json()["value"] in readings.confidences(), last


def test_listener_present_follows_the_camera_while_a_correction_holds(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    """A correction tells the mood, not who is there: the listener walking away while it holds shows
    as "listener present" off, in the state as on MQTT.  Before, the state kept the face seen at the
    correction, and each snapshot the bridge published put `state/face` back to true between the
    readings' false."""
    shown = Shown("happy")
    readings = _Readings()
    face = f"{ROOT}/state/face"
    # the mood read is held while nobody is in view (no change: the correction holds meanwhile)
    with bridged(tmp_path, broker, shown, mood__no_face_timeout_s=600.0) as (app, _bridge):
        app.bus.subscribe(readings)
        watcher.wait_for(MOOD, lambda m: m.json()["value"] == "happy", BUSY)
        app.correct_mood("sad")
        watcher.wait_for(MOOD, lambda m: m.json()["value"] == "sad", BUSY)
        shown.mood = None  # the listener walks away
        watcher.wait_for(face, lambda m: m.json()["value"] is False, BUSY)
        watcher.clear()
        readings.start()
        until(lambda: len(readings.moods()) >= CAPTURES, BUSY, what=f"{CAPTURES} captures")
        _marked(app, watcher, 0.43)
        state = app.state()
        assert (state["mood"], state["face"]) == ("sad", False), state
        assert set(_values(watcher, face)) <= {("live", False)}, _values(watcher, face)
        assert set(_values(watcher, MOOD)) <= {("live", "sad")}, _values(watcher, MOOD)
        assert json.loads(retained(broker.port, face)[face])["value"] is False
