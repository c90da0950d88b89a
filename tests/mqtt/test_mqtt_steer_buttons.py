"""`steer` in Home Assistant: the "Something calmer" and "Something livelier" buttons of the discovery,
pressed as HA presses them (their payload_press published to their command topic), steer the real
Appliance (real recommender on SQLite, player on SDL's dummy driver; only the camera is scripted).

Why: the speaker had the command (the page's Tell box's "something calmer"), but HA offered no entity
for it: a household could only ask for calmer music from the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from appliancekit import Shown, appliance_config, build_appliance
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained

from moodspeaker.mqtt import MqttBridge
from moodspeaker.service.control import ControlAPI
from polling import until

pytestmark = pytest.mark.timeout(300)

ROOT = "moodspeaker/kitchen"
DISCOVERY = "homeassistant/device/kitchen/config"
SOON = 30.0


@pytest.fixture
def app(tmp_path: Path, broker: Mosquitto) -> Iterator[Any]:
    config = appliance_config(tmp_path, broker.port, device__id="kitchen")
    appliance, bus = build_appliance(tmp_path, config, Shown("happy"))
    bridge = MqttBridge(config, ControlAPI(appliance, bus), bus)
    appliance.start()
    bridge.start()
    until(lambda: bridge.connected, SOON, what="bridge connected")
    yield appliance
    bridge.stop()
    appliance.stop()


def _first_reason(app: Any) -> str:
    queue = app.state()["queue"]
    return str(queue[0]["reason"]) if queue else ""


def test_calmer_and_livelier_buttons_steer_the_appliance(
    app: Any, broker: Mosquitto, watcher: Watcher
) -> None:
    found = until(lambda: retained(broker.port, "homeassistant/#").get(DISCOVERY), SOON, what="discovery")
    cmps = json.loads(found)["cmps"]
    calmer, livelier = cmps["calmer"], cmps["livelier"]
    assert (calmer["p"], calmer["name"]) == ("button", "Something calmer")
    assert (livelier["p"], livelier["name"]) == ("button", "Something livelier")
    assert calmer["unique_id"] == "moodspeaker_kitchen_calmer" and calmer["qos"] == 1
    assert livelier["unique_id"] == "moodspeaker_kitchen_livelier" and livelier["qos"] == 1
    assert calmer["command_topic"] == livelier["command_topic"] == f"{ROOT}/steer/set"
    assert json.loads(calmer["payload_press"]) == {"direction": "calmer"}
    assert json.loads(livelier["payload_press"]) == {"direction": "livelier"}
    assert "entity_category" not in calmer and "entity_category" not in livelier  # household controls

    until(lambda: app.state()["now_playing"] and app.state()["queue"], SOON, what="a queue")
    assert "as you asked" not in _first_reason(app)
    watcher.publish(calmer["command_topic"], calmer["payload_press"])
    until(lambda: "calmer, as you asked" in _first_reason(app), SOON, what="a calmer queue")
    # steers add up: one livelier takes the calmer back, a second one asks for livelier music
    watcher.publish(livelier["command_topic"], livelier["payload_press"])
    watcher.publish(livelier["command_topic"], livelier["payload_press"])
    until(lambda: "livelier, as you asked" in _first_reason(app), SOON, what="a livelier queue")
    assert not watcher.on(f"{ROOT}/event/command_rejected")
