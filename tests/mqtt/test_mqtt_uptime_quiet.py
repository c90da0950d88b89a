"""Home Assistant's Uptime entity changes only when the speaker restarts, attributes included.

Why: Uptime became the time the speaker started (a984173), so that HA records no new state just because
time passes; but it kept the stats' link counters (`mqtt`) as attributes, and `published` grows with
every stats message.  HA records a new state whenever an entity's attributes change, so Uptime still
wrote a database row at every stats message.  Now Uptime has no attributes, and the counters are a
diagnostic entity of their own ("MQTT messages sent": the count published, every counter as an
attribute), disabled by default as the valence and arousal sensors are.

The in-memory speaker behind the real bridge on a real Mosquitto; the templates rendered as HA renders
them (a sandboxed Jinja environment).
"""

from __future__ import annotations

import json
import time
from typing import Any

from mqtt_helpers import Message, Watcher, ha_render, retained
from speakerkit import Rig

from moodspeaker.mqtt.discovery import discovery_config
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.events import StateChanged

DISCOVERY = "homeassistant/device/kitchen/config"
STATS = "moodspeaker/kitchen/stats"


def _render(template: str, message: Message) -> str:
    return ha_render(template, message.json())


def _stats_again(rig: Rig, watcher: Watcher) -> Message:
    watcher.clear()
    rig.bus.publish(StateChanged(time.time(), "data_deleted", True))  # the stats are made again
    return watcher.wait_for(STATS)


def _what_ha_records(component: dict[str, Any], message: Message) -> tuple[str, Any]:
    """An entity's state and attributes from one message, as HA reads them."""
    attributes = component.get("json_attributes_template")
    return _render(component["value_template"], message), (
        json.loads(_render(attributes, message)) if attributes else None
    )


def test_uptime_has_no_attributes_that_change_with_every_stats(rig: Rig, watcher: Watcher) -> None:
    components = json.loads(retained(rig.bridge.settings.port, DISCOVERY)[DISCOVERY])["cmps"]
    uptime = components["stats"]
    assert "json_attributes_topic" not in uptime and "json_attributes_template" not in uptime
    first, second = _stats_again(rig, watcher), _stats_again(rig, watcher)
    assert first.json()["mqtt"]["published"] < second.json()["mqtt"]["published"]
    assert _what_ha_records(uptime, first) == _what_ha_records(uptime, second)  # no new row in HA

    counters = components["mqtt"]
    assert (counters["p"], counters["name"]) == ("sensor", "MQTT messages sent")
    assert counters["unique_id"] == "moodspeaker_kitchen_mqtt" and counters["qos"] == 1
    assert counters["entity_category"] == "diagnostic" and counters["enabled_by_default"] is False
    assert counters["state_topic"] == counters["json_attributes_topic"] == STATS
    state, attributes = _what_ha_records(counters, second)
    assert int(state) == second.json()["mqtt"]["published"]
    assert attributes == second.json()["mqtt"]  # every counter, as the stats topic has them
    assert {"connects", "published", "refused", "dropped", "last_error"} <= set(attributes)


def test_the_counters_entity_is_unknown_without_counters() -> None:
    counters = discovery_config(Topics("moodspeaker", "kitchen"), name="K", profiles=[])["cmps"]["mqtt"]
    old = Message(STATS, b'{"schema": 1, "started": null}', True, 0.0)
    assert _what_ha_records(counters, old) == ("None", {})
