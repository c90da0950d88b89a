"""Home Assistant's entities as an integrator sees them: what each one shows, read from the real
discovery and state messages on a real Mosquitto (the in-memory speaker behind the real bridge), the
value templates rendered as HA renders them (a sandboxed Jinja environment).
"""

from __future__ import annotations

import json
from typing import Any

from jinja2.sandbox import SandboxedEnvironment
from mqtt_helpers import Watcher, retained
from speakerkit import Rig, value

DISCOVERY = "homeassistant/device/kitchen/config"
ROOT = "moodspeaker/kitchen"


def _components(rig: Rig) -> dict[str, Any]:
    found = retained(rig.bridge.settings.port, DISCOVERY)
    components: dict[str, Any] = json.loads(found[DISCOVERY])["cmps"]
    return components


def _render(template: str, payload: bytes) -> str:
    return SandboxedEnvironment().from_string(template).render(value_json=json.loads(payload))


def test_playing_is_a_running_binary_sensor(rig: Rig, watcher: Watcher) -> None:
    """`state/playing` was published, but no entity read it: HA had no "Playing" to automate on."""
    playing = _components(rig)["playing"]
    assert (playing["p"], playing["name"], playing["device_class"]) == ("binary_sensor", "Playing", "running")
    assert playing["state_topic"] == f"{ROOT}/state/playing"
    assert playing["unique_id"] == "moodspeaker_kitchen_playing" and playing["qos"] == 1
    rig.speaker.play()
    on = watcher.wait_for(playing["state_topic"], lambda m: value(m) is True)
    assert _render(playing["value_template"], on.payload) == "ON"
    rig.speaker.pause()
    off = watcher.wait_for(playing["state_topic"], lambda m: value(m) is False)
    assert _render(playing["value_template"], off.payload) == "OFF"
    assert _render(playing["value_template"], b'{"schema": 1, "value": null}') == "None"  # unknown
