"""`mood_changed` says where the mood came from: `camera` (a reading), `asked` (music of a mood asked
for: `ask_mood`, "play happy songs") or `corrected` (`correct_mood`): an automation such as "the
listener looks sad: dim the lights" must not fire on a request for sad songs.  The real Appliance (real
mood filter, recommender, player on SDL's dummy driver) behind the real bridge on a real Mosquitto;
only the camera and classifier are scripted."""

from __future__ import annotations

from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Watcher

pytestmark = pytest.mark.timeout(120)

CHANGED = f"{ROOT}/event/mood_changed"


def _change_to(watcher: Watcher, mood: str) -> dict[str, Any]:
    body: dict[str, Any] = watcher.wait_for(CHANGED, lambda m: m.json()["mood"] == mood, BUSY).json()
    return body


def test_mood_changed_says_camera_asked_or_corrected(
    tmp_path: Any, broker: Mosquitto, watcher: Watcher
) -> None:
    shown = Shown("happy")
    with bridged(tmp_path, broker, shown, player__autoplay=False):
        read = _change_to(watcher, "happy")
        watcher.publish(f"{ROOT}/ask_mood/set", "sad")  # as Home Assistant's mqtt.publish sends it
        asked = _change_to(watcher, "sad")
        watcher.publish(f"{ROOT}/correct_mood/set", "neutral")
        corrected = _change_to(watcher, "neutral")
        shown.mood = "surprise"  # the camera reads a change: the correction ends
        read_again = _change_to(watcher, "surprise")
    said = [(e["mood"], e["source"]) for e in (read, asked, corrected, read_again)]
    assert said == [("happy", "camera"), ("sad", "asked"), ("neutral", "corrected"), ("surprise", "camera")]
