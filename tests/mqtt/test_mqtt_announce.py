"""The announcement after a connect, as Home Assistant sees it: `online` first, then discovery, then each
state topic once, even when the speaker's state changed while the connection was being made.

The in-memory speaker behind the real bridge on a real Mosquitto.  The race is made certain, not
likely: the speaker's state read is held at a gate while the broker comes up and the bridge connects,
so the bridge is connected (its announcement queued) while it is still busy with an earlier change.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from brokerkit import Mosquitto
from mqtt_helpers import Watcher
from speakerkit import make_rig, value

from moodspeaker.mqtt.topics import STATE_KEYS
from moodspeaker.service.events import StateChanged
from polling import until

ROOT = "moodspeaker/kitchen"


def test_a_change_while_connecting_goes_out_after_online_and_only_once(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path)  # not started yet: the speaker starts before its broker is there
    rig = make_rig(broker.port)
    rig.speaker.gate = threading.Event()
    rig.bridge.start()
    try:
        rig.speaker.s["volume"] = 0.42
        rig.bus.publish(StateChanged(time.time(), "volume", 0.42))
        assert rig.speaker.reading.wait(30), "the bridge never read the state"  # held at the gate
        broker.start()
        watcher = Watcher(broker.port).start()
        try:
            until(lambda: rig.bridge.connected, what="the bridge connected")
            rig.speaker.gate.set()  # the change in hand goes out now, with the announcement queued
            watcher.wait_for(f"{ROOT}/stats")  # the announcement is through
            rig.speaker.set_volume(0.43)  # after it: marks the end
            watcher.wait_for(f"{ROOT}/state/volume", lambda m: value(m) == 0.43)
            mine = [m.topic for m in watcher.messages if m.topic.startswith((ROOT, "homeassistant/"))]
        finally:
            watcher.stop()
    finally:
        rig.bridge.stop()
        broker.stop()
    assert mine[:2] == [f"{ROOT}/availability", "homeassistant/device/kitchen/config"], mine[:5]
    counts = {key: mine.count(f"{ROOT}/state/{key}") for key in STATE_KEYS}
    assert counts == {key: 2 if key == "volume" else 1 for key in STATE_KEYS}, counts
