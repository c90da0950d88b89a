"""The audio output as Home Assistant sees it: a `problem` binary sensor ("Audio output") on the retained
`state/audio` topic, ON while the output device is gone and OFF once it is back, and re-sent after the
broker lost everything.

The real Appliance and its bridge against a real Mosquitto; the device vanishes as in tests/service
(test_recorded_skips): the player's output is set to a device that does not exist and pygame's mixer is
shut under it, so every retry fails until the output is set back.  What HA shows is read through the
discovery config's own template, rendered as HA renders it.

The player's status shows a change before the player announces it (`StateChanged("audio")`: see
tests/player/test_status_before_events), so the state read the announcement causes publishes it at once;
the second test makes the in-memory speaker's status and announcement go in that order.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pygame
import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher, ha_render, retained
from speakerkit import Rig, value

from moodspeaker.service.events import StateChanged
from polling import until

pytestmark = pytest.mark.timeout(120)

TOPIC = f"{ROOT}/state/audio"
DISCOVERY = "homeassistant/device/living-room/config"


def _is(value: str) -> Any:
    return lambda m: m.json()["value"] == value


def _on_broker(port: int, value: str) -> dict[str, Any] | None:
    """The retained audio state a newly connecting client gets, if it says `value`."""
    found = retained(port, TOPIC)
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
        assert sensor["state_topic"] == TOPIC and sensor["unique_id"] == "moodspeaker_living-room_audio"
        assert DISCOVERY in retained(broker.port, DISCOVERY)  # the config itself is retained

        player = app.player
        until(lambda: player.status().audio == "ok", BUSY, what="the audio output opened")
        _set_output(player, "no-such-device")  # unplugged: every retry fails
        player._post(pygame.mixer.quit)  # ...and the output vanishes under the player
        lost = watcher.wait_for(TOPIC, _is("lost"), BUSY).json()
        assert lost["schema"] == 1 and "ts" in lost
        assert ha_render(sensor["value_template"], lost) == "ON"
        until(lambda: _on_broker(broker.port, "lost"), BUSY, what="'lost' retained on the broker")

        broker.restart()  # no persistence: the retained state is gone, the bridge re-announces it
        until(lambda: _on_broker(broker.port, "lost"), BUSY, what="'lost' re-sent after the reconnect")
        assert bridge.stats()["connects"] == 2

        _set_output(player, "")  # plugged back in: the next retry opens it
        back = watcher.wait_for(TOPIC, _is("ok"), BUSY).json()
        assert ha_render(sensor["value_template"], back) == "OFF"
        until(lambda: _on_broker(broker.port, "ok"), BUSY, what="'ok' retained on the broker")


def test_an_audio_change_goes_out_at_its_announcement(rig: Rig, watcher: Watcher) -> None:
    """The announcement's own state read publishes the change (not the next periodic one, a minute on)."""
    topic = "moodspeaker/kitchen/state/audio"
    said: list[Any] = ["ok"]
    watcher.wait_for(topic, lambda m: value(m) == "ok")
    for audio in ("lost", "ok"):
        rig.speaker.s["audio"] = audio  # the status shows it first, as the player's does...
        rig.bus.publish(StateChanged(time.time(), "audio", audio))  # ...then it is announced
        said.append(audio)
        watcher.wait(lambda msgs: [value(m) for m in msgs if m.topic == topic] == said)
