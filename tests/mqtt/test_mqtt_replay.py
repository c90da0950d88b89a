"""The replay button over MQTT: announced to Home Assistant like next/like, and a press drives the real
Appliance (real player on SDL's dummy driver, recommender on SQLite) against a real Mosquitto."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained

from polling import until

WEB_URL = "http://speaker.local:8080/"

pytestmark = pytest.mark.timeout(120)


def replayed(app: Any) -> list[str]:
    with sqlite3.connect(app.config.device.data_dir + "/recommend.sqlite") as db:
        return [r[0] for r in db.execute("SELECT track_id FROM feedback WHERE kind = 'replayed' ORDER BY id")]


@pytest.fixture
def speaker(tmp_path: Path, broker: Mosquitto) -> Iterator[Any]:
    with bridged(tmp_path, broker, Shown("happy"), web_url=WEB_URL) as (app, _bridge):
        yield app


def test_the_replay_button_is_announced_and_a_press_replays_the_track(speaker: Any, watcher: Watcher) -> None:
    app = speaker
    watcher.wait_for("homeassistant/device/living-room/config")  # announced (the bridge only connected)
    discovery = retained(watcher.port, "homeassistant/device/living-room/config")
    button = json.loads(discovery["homeassistant/device/living-room/config"])["cmps"]["replay"]
    assert button["p"] == "button" and button["unique_id"] == "moodspeaker_living-room_replay"
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
    with bridged(tmp_path, broker, Shown(None), web_url=WEB_URL, player__autoplay=False) as (app, _bridge):
        watcher.publish(f"{ROOT}/replay/set", "PRESS")
        refused = watcher.wait_for(f"{ROOT}/event/command_rejected", timeout=BUSY)
        assert refused.json()["command"] == "replay"
        assert refused.json()["error"] == "replay: nothing has been played yet"
        assert replayed(app) == [] and app.state()["now_playing"] is None
