"""The replay button over MQTT: announced to Home Assistant like next/like, and a press drives the real
Appliance (real player on SDL's dummy driver, recommender on SQLite) against a real Mosquitto."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mqtt_helpers import Mosquitto, Shown, Watcher, appliance_config, build_appliance, retained

from moodspeaker.mqtt import MqttBridge
from moodspeaker.service.control import ControlAPI

BUSY = 30.0  # seconds: generous, CI machines are busy
ROOT = "moodspeaker/living-room"

pytestmark = pytest.mark.timeout(120)


def until(pred: Callable[[], Any], timeout: float = BUSY, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def replayed(app: Any) -> list[str]:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        return [r[0] for r in db.execute("SELECT track_id FROM feedback WHERE kind = 'replayed' ORDER BY id")]


def start(tmp_path: Path, broker: Mosquitto, shown: Shown, **extra: Any) -> tuple[Any, MqttBridge]:
    config = appliance_config(tmp_path, broker.port, device__id="Living Room", **extra)
    app, bus = build_appliance(tmp_path, config, shown)
    bridge = MqttBridge(config, ControlAPI(app, bus), bus, web_url="http://speaker.local:8080/")
    app.start()
    bridge.start()
    until(lambda: bridge.connected, what="bridge connected")
    return app, bridge


@pytest.fixture
def speaker(tmp_path: Path, broker: Mosquitto) -> Iterator[Any]:
    app, bridge = start(tmp_path, broker, Shown("happy"))
    yield app
    bridge.stop()
    app.stop()


def test_the_replay_button_is_announced_and_a_press_replays_the_track(speaker: Any, watcher: Watcher) -> None:
    app = speaker
    discovery = retained(watcher.port, "homeassistant/device/living-room/config")
    button = json.loads(discovery["homeassistant/device/living-room/config"])["cmps"]["replay"]
    assert button["p"] == "button" and button["unique_id"] == "living-room_replay"
    assert button["command_topic"] == f"{ROOT}/replay/set"
    playing = until(lambda: app.state()["now_playing"], what="autoplay on the happy face")
    until(lambda: (app.state()["now_playing"] or {}).get("position_s", 0) > 0.5, what="0.5 s into the track")
    # the first track, < 4 s in: nothing before it to go back to, so it starts again
    watcher.publish(button["command_topic"], button["payload_press"])  # what HA sends on a press
    until(lambda: replayed(app), what="the replay recorded")
    assert replayed(app) == [playing["track_id"]]
    now = until(lambda: app.state()["now_playing"], what="a track")
    assert now["track_id"] == playing["track_id"] and app.state()["playing"]
    watcher.wait_for(
        f"{ROOT}/state/now_playing", lambda m: (m.json()["value"] or {}).get("track_id") == now["track_id"]
    )
    time.sleep(0.5)
    assert replayed(app) == [playing["track_id"]]  # exactly once per press
    assert not watcher.on(f"{ROOT}/event/command_rejected")


def test_replay_with_nothing_played_is_rejected_over_mqtt(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    app, bridge = start(tmp_path, broker, Shown(None), player__autoplay=False)
    try:
        watcher.publish(f"{ROOT}/replay/set", "")
        refused = watcher.wait_for(f"{ROOT}/event/command_rejected", timeout=BUSY)
        assert refused.json()["command"] == "replay"
        assert refused.json()["error"] == "replay: nothing has been played yet"
        assert replayed(app) == [] and app.state()["now_playing"] is None
    finally:
        bridge.stop()
        app.stop()
