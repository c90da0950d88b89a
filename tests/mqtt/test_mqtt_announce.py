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

import pytest
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained
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


def test_the_announcement_is_never_dropped_when_the_work_queue_is_full(tmp_path: Path) -> None:
    """The work queue is bounded and drops what does not fit; the announcement after a reconnect must not
    be among it (the connection holds back every publish until it: connected, but mute for good)."""
    broker = Mosquitto(tmp_path)
    broker.start()
    rig = make_rig(broker.port)
    rig.bridge.start()
    try:
        rig.wait_connected()
        until(lambda: rig.bridge.stats()["published"] >= len(STATE_KEYS) + 2, what="the first announcement")
        rig.speaker.gate = threading.Event()  # the worker is held in the speaker's state read
        rig.bus.publish(StateChanged(time.time(), "volume", 0.6))
        assert rig.speaker.reading.wait(30), "the bridge never read the state"
        while rig.bridge.stats()["work_dropped"] == 0:  # meanwhile the events fill its queue
            rig.speaker.observe("happy", 0.8, 0.5, 0.1)
        broker.stop()
        until(lambda: not rig.bridge.connected, what="the bridge to notice the broker gone")
        broker.start()  # no persistence: nothing retained until the bridge announces itself again
        until(lambda: rig.bridge.connected, what="the reconnect")  # its announcement finds the queue full
        rig.speaker.gate.set()
        found = until(
            lambda: retained(broker.port, f"{ROOT}/#").get(f"{ROOT}/availability"),
            what="online after the reconnect",
            detail=rig.bridge.stats,
        )
        assert found == b"online"
    finally:
        rig.bridge.stop()
        broker.stop()


SPEAKER = "Received PUBLISH from moodspeaker-kitchen"


@pytest.mark.parametrize("trigger", ["home assistant restarted", "reconnected"])
def test_an_announcement_again_sends_each_retained_topic_once(tmp_path: Path, trigger: str) -> None:
    """Every announcement after the first (HA's birth message, a reconnect) sent `stats` twice at its
    end: the one remembered from before, resent with the rest, then a fresh one.  Counted in the
    broker's log: what the speaker published from the trigger to a volume change made after it."""
    broker = Mosquitto(tmp_path, extra="log_type debug")
    broker.start()
    rig = make_rig(broker.port, mqtt__stats_interval_s=3600)
    rig.bridge.start()
    ha = Watcher(broker.port, ("homeassistant/status",)).start()
    try:
        until(lambda: f"{ROOT}/stats" in retained(broker.port, f"{ROOT}/#"), what="the first announcement")
        before = len(broker.log.read_text().splitlines())
        if trigger == "reconnected":
            broker.restart()  # no persistence: what comes back was announced again
        else:
            ha.publish("homeassistant/status", "online")

        def published() -> list[str]:
            lines = broker.log.read_text(errors="replace").splitlines()[before:]
            return [line.split("'")[1] for line in lines if SPEAKER in line]

        until(lambda: f"{ROOT}/stats" in published(), 60, what="the announcement", detail=published)
        rig.speaker.set_volume(0.43)  # handled after the whole announcement: marks its end
        until(lambda: published().count(f"{ROOT}/state/volume") == 2, 60, what="the mark", detail=published)
        sent = published()
    finally:
        ha.stop()
        rig.bridge.stop()
        broker.stop()
    mine = [*(f"{ROOT}/state/{key}" for key in STATE_KEYS), f"{ROOT}/stats", f"{ROOT}/availability"]
    counts = {topic: sent.count(topic) for topic in [*mine, "homeassistant/device/kitchen/config"]}
    assert counts == {t: 2 if t.endswith("/volume") else 1 for t in counts}, counts
