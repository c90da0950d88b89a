"""Every mood the speaker can report reaches Home Assistant: the "Mood" enum sensor shows it (its
template renders it, and it is one of the sensor's options) and the "Mood changed" event entity accepts
it (its `event_type` is one of the entity's event types; HA drops any other with a warning).

The shipped expression model has FER+'s eight classes, contempt among them, so the filter can report
`contempt`.  The real Appliance (real mood filter) and its bridge on a real Mosquitto, with the scripted
classifier given those eight classes; the discovery templates are rendered as HA renders them.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from appliancekit import CLASSES, Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, ha_render

from moodspeaker.mood.classes import CONTEMPT

pytestmark = pytest.mark.timeout(120)

DISCOVERY = "homeassistant/device/living-room/config"


def test_contempt_from_an_eight_class_model_shows_in_home_assistant(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    shown = Shown(CONTEMPT, classes=(*CLASSES, CONTEMPT))
    with bridged(tmp_path, broker, shown):
        config = watcher.wait_for(DISCOVERY, lambda m: m.payload != b"", BUSY).json()
        changed = watcher.wait_for(f"{ROOT}/event/mood_changed", lambda m: m.json()["mood"] == CONTEMPT, BUSY)
        state = watcher.wait_for(f"{ROOT}/state/mood", lambda m: m.json()["value"] == CONTEMPT, BUSY)
    sensor, event = config["cmps"]["mood"], config["cmps"]["mood_changed"]
    shows = ha_render(sensor["value_template"], state.json())
    assert shows == CONTEMPT, f"HA's Mood sensor shows {shows!r} for {state.payload!r}"
    assert shows in sensor["options"]
    assert changed.json()["event_type"] in event["event_types"], event["event_types"]
