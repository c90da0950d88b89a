"""`mood_changed` says where the mood came from: `camera` (a reading), `asked` (music of a mood asked
for: `ask_mood`, "play happy songs") or `corrected` (`correct_mood`): an automation such as "the
listener looks sad: dim the lights" must not fire on a request for sad songs.  The real Appliance (real
mood filter, recommender, player on SDL's dummy driver) behind the real bridge on a real Mosquitto;
only the camera and classifier are scripted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, ha_render

pytestmark = pytest.mark.timeout(120)

CHANGED = f"{ROOT}/event/mood_changed"
DISCOVERY = "homeassistant/device/living-room/config"


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


MOOD = f"{ROOT}/state/mood"


def _mood_state(watcher: Watcher, mood: str, source: str) -> dict[str, Any]:
    def shown(m: Any) -> bool:
        body = m.json()
        return bool(body["value"] == mood and body.get("source") == source)

    body: dict[str, Any] = watcher.wait_for(MOOD, shown, BUSY).json()
    return body


def test_the_mood_state_says_camera_asked_or_corrected(
    tmp_path: Any, broker: Mosquitto, watcher: Watcher
) -> None:
    """`state/mood` showed a mood asked for or corrected as it showed a reading (`status: live`):
    Home Assistant's Mood sensor could not tell "the listener looks sad" from "sad songs, please".
    Each mood topic of the mood in force says where it comes from (`source`, as mood_changed's), the
    fields there before unchanged; the Mood sensor has it as its attribute `source`."""
    shown = Shown("happy")
    with bridged(tmp_path, broker, shown, player__autoplay=False):
        config = watcher.wait_for(DISCOVERY, lambda m: m.payload != b"", BUSY).json()
        read = _mood_state(watcher, "happy", "camera")
        watcher.publish(f"{ROOT}/ask_mood/set", "sad")
        asked = _mood_state(watcher, "sad", "asked")
        confidence = watcher.wait_for(f"{ROOT}/state/confidence", lambda m: m.json()["value"] == 1.0, BUSY)
        watcher.publish(f"{ROOT}/correct_mood/set", "neutral")
        corrected = _mood_state(watcher, "neutral", "corrected")
        shown.mood = "surprise"  # the camera reads a change: the correction ends
        read_again = _mood_state(watcher, "surprise", "camera")
    for body in (read, asked, corrected, read_again):
        assert {"schema", "status", "value", "ts", "source"} == set(body) and body["status"] == "live", body
    assert confidence.json()["source"] == "asked"  # the 100 % is the request's, not a reading's
    sensor = config["cmps"]["mood"]
    assert sensor["json_attributes_topic"] == MOOD
    template = sensor["json_attributes_template"]
    attributes = [json.loads(ha_render(template, body)) for body in (read, asked, corrected)]
    assert attributes == [{"source": "camera"}, {"source": "asked"}, {"source": "corrected"}]
    assert ha_render(sensor["value_template"], asked) == "sad"  # the state itself as before
