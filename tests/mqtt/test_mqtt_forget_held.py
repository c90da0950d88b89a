"""`moodspeaker mqtt forget` clears what the broker holds for the device, and says when it holds nothing.

It used to publish an empty retained message on every topic a speaker could have and report "removed
from Home Assistant ... cleared 15 retained topics", exit 0, for a device id with nothing on the broker
(a typo: the real speaker stayed in Home Assistant).  Now it reads the broker's retained messages first
(real Mosquitto), clears those, and exits 1 naming the device id when there were none.
"""

from __future__ import annotations

import pytest
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained

from moodspeaker.cli import main

KITCHEN = "homeassistant/device/kitchen/config"


def _settings(broker: Mosquitto) -> list[str]:
    return ["--set", "mqtt.host=127.0.0.1", "--set", f"mqtt.port={broker.port}"]


def test_a_device_id_with_nothing_on_the_broker_says_so(
    broker: Mosquitto, watcher: Watcher, capsys: pytest.CaptureFixture[str]
) -> None:
    watcher.publish(KITCHEN, b'{"dev": {"name": "Kitchen"}}', retain=True)
    watcher.publish("moodspeaker/kitchen/state/mood", b'"happy"', retain=True)
    watcher.sync()
    watcher.clear()
    assert main([*_settings(broker), "mqtt", "forget", "--device-id", "nosuch"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"nothing retained for device id nosuch on the broker (127.0.0.1:{broker.port})" in err
    watcher.sync()
    assert not [m for m in watcher.messages if "nosuch" in m.topic and "forget-probe" not in m.topic]
    assert set(retained(broker.port, "#")) == {KITCHEN, "moodspeaker/kitchen/state/mood"}


def test_only_the_topics_the_broker_holds_are_cleared(
    broker: Mosquitto, watcher: Watcher, capsys: pytest.CaptureFixture[str]
) -> None:
    held = {"moodspeaker/lounge/state/mood", "moodspeaker/lounge/old/topic"}  # no discovery config
    for topic in held:
        watcher.publish(topic, b"1", retain=True)
    watcher.publish(KITCHEN, b'{"dev": {"name": "Kitchen"}}', retain=True)
    watcher.sync()
    watcher.clear()
    assert main([*_settings(broker), "mqtt", "forget", "--device-id", "lounge"]) == 0
    out = capsys.readouterr().out
    assert "Home Assistant had no discovery config for lounge" in out
    assert "cleared 2 retained topics under moodspeaker/lounge/" in out
    watcher.sync()
    emptied = {m.topic for m in watcher.messages if m.payload == b""}
    assert emptied == held  # nothing published on topics that were not there
    assert set(retained(broker.port, "#")) == {KITCHEN}
