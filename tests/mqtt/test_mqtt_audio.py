"""The audio output as Home Assistant sees it: a `problem` binary sensor ("Audio output") on the retained
`state/audio` topic, ON while the output device is gone and OFF once it is back, and re-sent after the
broker lost everything.

The real Appliance and its bridge against a real Mosquitto; the device vanishes as in tests/service
(test_recorded_skips): the player's output is set to a device that does not exist and pygame's mixer is
shut under it, so every retry fails until the output is set back.  What HA shows is read through the
discovery config's own template, rendered as HA renders it.

The player announces a change (`StateChanged("audio")`) a moment before its status says so; the second
test holds the in-memory speaker's status in that moment, where a state read would publish the old value.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pygame
import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from jinja2.sandbox import SandboxedEnvironment
from mqtt_helpers import Message, Watcher, retained
from speakerkit import Rig, value

from moodspeaker.service.events import StateChanged
from polling import until

pytestmark = pytest.mark.timeout(120)

TOPIC = f"{ROOT}/state/audio"
DISCOVERY = "homeassistant/device/living-room/config"


def _render(template: str, payload: Mapping[str, Any]) -> str:
    """A discovery template rendered as Home Assistant renders it (a sandboxed Jinja environment)."""
    return SandboxedEnvironment().from_string(template).render(value_json=payload)


def _is(value: str) -> Any:
    return lambda m: m.json()["value"] == value


def _on_broker(port: int, value: str) -> dict[str, Any] | None:
    """The retained audio state a newly connecting client gets, if it says `value`."""
    found = retained(port, TOPIC, settle=0.2)
    payload = json.loads(found[TOPIC]) if TOPIC in found else None
    return payload if payload is not None and payload["value"] == value else None


def _set_output(player: Any, device: str) -> None:
    """Point the running player at another output device (on its own thread, as a setting would)."""
    changed = dataclasses.replace(player._cfg, audio_device=device)
    player._post(lambda: setattr(player, "_cfg", changed))


def test_a_lost_audio_output_is_a_problem_in_home_assistant(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    with bridged(tmp_path, broker, Shown(None)) as (app, bridge):
        config: Message = watcher.wait_for(DISCOVERY, lambda m: m.payload != b"", BUSY)
        sensor = config.json()["cmps"]["audio"]
        assert (sensor["p"], sensor["device_class"]) == ("binary_sensor", "problem")
        assert sensor["name"] == "Audio output"
        assert sensor["state_topic"] == TOPIC and sensor["unique_id"] == "living-room_audio"
        assert DISCOVERY in retained(broker.port, DISCOVERY)  # the config itself is retained

        player = app.player
        until(lambda: player.status().audio == "ok", BUSY, what="the audio output opened")
        _set_output(player, "no-such-device")  # unplugged: every retry fails
        player._post(pygame.mixer.quit)  # ...and the output vanishes under the player
        lost = watcher.wait_for(TOPIC, _is("lost"), BUSY).json()
        assert lost["schema"] == 1 and "ts" in lost
        assert _render(sensor["value_template"], lost) == "ON"
        until(lambda: _on_broker(broker.port, "lost"), BUSY, what="'lost' retained on the broker")

        broker.restart()  # no persistence: the retained state is gone, the bridge re-announces it
        until(lambda: _on_broker(broker.port, "lost"), BUSY, what="'lost' re-sent after the reconnect")
        assert bridge.stats()["connects"] == 2

        _set_output(player, "")  # plugged back in: the next retry opens it
        back = watcher.wait_for(TOPIC, _is("ok"), BUSY).json()
        assert _render(sensor["value_template"], back) == "OFF"
        until(lambda: _on_broker(broker.port, "ok"), BUSY, what="'ok' retained on the broker")


def test_an_announced_audio_change_stands_until_the_status_says_so(rig: Rig, watcher: Watcher) -> None:
    topic = "moodspeaker/kitchen/state/audio"
    watcher.wait_for(topic, lambda m: value(m) == "ok")  # from the status, at the announcement
    rig.bus.publish(StateChanged(time.time(), "audio", "lost"))  # announced; the status still says ok
    watcher.wait_for(topic, lambda m: value(m) == "lost")
    rig.speaker.set_volume(0.3)  # another state read meanwhile (a play resumed, a command)...
    rig.speaker.set_volume(0.31)  # ...done once this one's volume is out
    watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.31)
    assert [value(m) for m in watcher.on(topic)] == ["ok", "lost"]  # not turned back to the stale "ok"
    rig.speaker.s["audio"] = "lost"  # the status catches up...
    rig.speaker.set_volume(0.32)
    watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.32)
    rig.speaker.s["audio"] = "ok"  # ...and rules again: what it says goes out (here with no announcement)
    rig.speaker.set_volume(0.33)
    watcher.wait(lambda msgs: [value(m) for m in msgs if m.topic == topic] == ["ok", "lost", "ok"], BUSY)
