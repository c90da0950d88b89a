"""Switching the camera back on starts a fresh reading: a mood told while it was off (a correction from
Home Assistant or the page) is not published as a live mood then.

Why: the service kept the correction as the mood in force, so the state read at the switch said
`{"status": "live", "value": "sad"}` with confidence 1.0 and no face, and the first reading (no face
yet: unknown) came a moment later.  Home Assistant recorded Mood = sad, and a "mood becomes sad"
automation fired for a mood nobody's face showed.  The real Appliance (real mood filter, recommender,
pygame player on SDL's dummy driver) behind the real bridge on a real Mosquitto; only the camera and
classifier are scripted (nobody in view).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from appliancekit import Shown, appliance_config, build_appliance
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher

from moodspeaker.mqtt import MqttBridge
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, MoodChanged
from polling import until

pytestmark = pytest.mark.timeout(120)

ROOT = "moodspeaker/kitchen"
MOOD_TOPICS = tuple(f"{ROOT}/state/{key}" for key in ("mood", "confidence", "valence", "arousal", "face"))


@pytest.fixture
def speaker(tmp_path: Path, broker: Mosquitto) -> Iterator[tuple[ControlAPI, list[Event]]]:
    config = appliance_config(tmp_path, broker.port, device__id="kitchen")
    app, bus = build_appliance(tmp_path, config, Shown(None))  # nobody in view: no mood is read
    events: list[Event] = []
    bus.subscribe(events.append)
    control = ControlAPI(app, bus)
    bridge = MqttBridge(config, control, bus)
    app.start()
    bridge.start()
    try:
        until(lambda: bridge.connected, 30, what="bridge connected")
        yield control, events
    finally:
        bridge.stop()
        app.stop()


def _live(m: Message) -> bool:
    return bool(m.json().get("status") == "live")


def test_a_mood_told_with_the_camera_off_is_not_live_when_it_comes_back_on(
    speaker: tuple[ControlAPI, list[Event]], watcher: Watcher
) -> None:
    control, events = speaker
    control.execute("set_camera", {"enabled": False})
    watcher.wait_for(f"{ROOT}/state/mood", lambda m: m.json()["status"] == "camera_off")
    told = control.execute("correct_mood", {"mood": "sad"})  # in force while the camera is off
    assert told["mood"] == "sad"
    watcher.wait_for(f"{ROOT}/event/mood_changed", lambda m: m.json()["mood"] == "sad")
    watcher.clear()
    seen = len(events)

    state = control.execute("set_camera", {"enabled": True})
    # the service's own state (the page shows it, MQTT publishes it): a fresh reading, nothing read yet
    read = (state["mood"], state["confidence"], state["face"])
    assert read == ("unknown", 0.0, False), read
    watcher.wait_for(f"{ROOT}/state/camera", lambda m: m.json()["value"] is True)
    watcher.wait_for(f"{ROOT}/state/face", _live)  # read again: nobody (the mood waits for a mood)
    control.execute("set_volume", {"volume": 0.31})  # handled after the switch: marks the end
    watcher.wait_for(f"{ROOT}/state/volume", lambda m: m.json()["value"] == 0.31)
    watcher.sync()
    published = [(m.topic.rsplit("/", 1)[1], m.json()) for m in watcher.messages if m.topic in MOOD_TOPICS]
    live = [(key, body["value"]) for key, body in published if body.get("status") == "live"]
    assert ("mood", "sad") not in live, published
    assert ("confidence", 1.0) not in live, published
    assert [m.json()["mood"] for m in watcher.on(f"{ROOT}/event/mood_changed")] in ([], ["unknown"])
    changes = [(e.mood, e.previous) for e in events[seen:] if isinstance(e, MoodChanged)]
    assert changes == [("unknown", "sad")]  # the told mood is no longer in force, and that is said


def test_a_mood_told_with_the_camera_on_survives_the_switch_sent_again(
    speaker: tuple[ControlAPI, list[Event]], watcher: Watcher
) -> None:
    """Home Assistant's switch sent again (on while on) is no fresh reading: the correction stays."""
    control, _events = speaker
    control.execute("correct_mood", {"mood": "happy"})
    assert control.execute("set_camera", {"enabled": True})["mood"] == "happy"
