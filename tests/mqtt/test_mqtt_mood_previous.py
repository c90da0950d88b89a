"""Home Assistant's `mood_changed` events follow on from each other, a correction sent over MQTT
included: each event's `previous` is the mood the event before it announced.

Why: after `correct_mood` "contempt" (event: contempt, previous happy) the camera's next change said
`previous: happy` again, the mood before the correction, so an automation on "from contempt to ..."
never fired.  The real Appliance (real mood filter) and its bridge on a real Mosquitto; only the
camera and classifier are scripted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher

from moodspeaker.mood.classes import CONTEMPT, UNKNOWN

pytestmark = pytest.mark.timeout(120)

EVENT = f"{ROOT}/event/mood_changed"


def _events(watcher: Watcher) -> list[tuple[str, str]]:
    """(mood, previous) of every mood_changed event received so far, in order."""
    return [(m.json()["mood"], m.json()["previous"]) for m in watcher.on(EVENT)]


def _of(mood: str) -> Callable[[Message], bool]:
    return lambda m: m.json()["mood"] == mood


def test_a_correction_over_mqtt_is_where_the_next_event_starts(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    shown = Shown("happy")
    with bridged(tmp_path, broker, shown):
        watcher.wait_for(EVENT, _of("happy"), BUSY)
        watcher.publish(f"{ROOT}/correct_mood/set", '{"mood": "contempt"}')
        corrected: Message = watcher.wait_for(EVENT, _of(CONTEMPT), BUSY)
        assert corrected.json()["previous"] == "happy"
        shown.mood = "neutral"
        read = watcher.wait_for(EVENT, _of("neutral"), BUSY)
        assert read.json()["previous"] == CONTEMPT, _events(watcher)
        assert read.json()["event_type"] == "neutral"
    events = _events(watcher)
    assert events == [("happy", UNKNOWN), (CONTEMPT, "happy"), ("neutral", CONTEMPT)], events
