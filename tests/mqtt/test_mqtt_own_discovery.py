"""The speaker's own discovery topic, to which it subscribes (the removal of entities an older version
announced under other unique ids: discovery_feed.py).  The broker hands back the discovery it kept at
each connect and every one the speaker publishes; those are not what others sent, so the stats'
`received` leaves them out.  The removal follows the announcement's discovery, which the broker keeps
instead of the old one from then on: a connection lost in between must not lose the removal.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained
from speakerkit import make_rig, value

from moodspeaker.mqtt.discovery import discovery_config
from moodspeaker.mqtt.payloads import encode
from moodspeaker.mqtt.topics import Topics
from polling import until

ROOT = "moodspeaker/kitchen"
DISCOVERY = "homeassistant/device/kitchen/config"
KITCHEN = Topics("moodspeaker", "kitchen", "homeassistant")


SPEAKER = "Received PUBLISH from moodspeaker-kitchen"


def _config() -> dict[str, Any]:
    return discovery_config(
        KITCHEN, name="Test Speaker", profiles=["default", "alex"], web_url="http://kitchen.local:8080/"
    )


def _as_before(config: dict[str, Any]) -> dict[str, Any]:
    """The discovery as the versions before the product prefix made it: unique ids `<id>_<key>`."""
    return {
        **config,
        "cmps": {key: {**c, "unique_id": f"kitchen_{key}"} for key, c in config["cmps"].items()},
    }


def test_received_counts_what_others_sent_not_the_speakers_own_discovery(
    broker: Mosquitto, watcher: Watcher
) -> None:
    """Kept from an earlier run, sent back after the announcement and again after HA's restart: three
    discovery messages reach the speaker, none counted; the two commands and HA's status are."""
    watcher.publish(DISCOVERY, json.dumps(_config()), retain=True)  # the discovery of an earlier run
    r = make_rig(broker.port)
    r.bridge.start()
    try:
        watcher.wait_for(f"{ROOT}/stats")  # announced: its discovery went out (and back) before
        # A command sent now reaches the speaker after the kept discovery and the announcement's.
        watcher.publish(f"{ROOT}/set_volume/set", "0.44")
        watcher.wait_for(f"{ROOT}/state/volume", lambda m: value(m) == 0.44)
        watcher.clear()
        watcher.publish("homeassistant/status", "online")  # HA restarted: the discovery again
        watcher.wait_for(DISCOVERY)
        watcher.publish(f"{ROOT}/set_volume/set", "0.45")  # reaches the speaker after that came back
        watcher.wait_for(f"{ROOT}/state/volume", lambda m: value(m) == 0.45)
        stats = r.bridge.stats()
        assert stats["received"] == 3, stats  # two commands and HA's `online`
        assert stats["commands"] == 2 and stats["ha_online"] == 1, stats
    finally:
        r.bridge.stop()


def test_a_removal_the_connection_lost_goes_out_on_the_next_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The announcement's discovery reached the broker, which keeps it instead of the old one; then the
    broker hung, and the removal went into the dead link, never acknowledged.  The broker that answers
    after the reconnect keeps no old discovery to compare: before, the removal was never sent again
    and the old entities stayed orphaned in Home Assistant.  Now it goes ahead of the discovery."""
    caplog.set_level(logging.INFO, logger="moodspeaker.mqtt.discovery_feed")
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = Mosquitto(tmp_path / "first")
    first.start()
    second = Mosquitto(tmp_path / "second", extra="log_type debug", port=first.port)
    config = _config()
    ha = Watcher(first.port, (DISCOVERY,)).start()
    ha.publish(DISCOVERY, json.dumps(_as_before(config)), retain=True)
    r = make_rig(first.port)
    r.speaker.gate = threading.Event()  # the announcement's state read waits, and the removal after it
    r.bridge.start()
    try:
        assert r.speaker.reading.wait(30)
        ha.wait_for(DISCOVERY, lambda m: m.json()["cmps"]["mood"]["unique_id"] == "moodspeaker_kitchen_mood")
        ha.stop()
        with first.frozen():  # the announcement's discovery is kept: nothing is acknowledged from now on
            r.speaker.gate.set()
            until(lambda: "removing" in caplog.text, what="the removal published (into the dead link)")
            r.speaker.set_volume(0.45)  # handled after the removal's publishes: they are in paho's hands
            until(lambda: r.bridge._state.last["volume"]["value"] == 0.45, what="the removal sent")
            first.kill()  # gone for good, still frozen; another broker takes its port
        second.start()
        until(
            lambda: f"{ROOT}/stats" in retained(second.port, f"{ROOT}/#"),
            60,
            what="the reconnect's announcement",
        )
        sizes = [
            int(re.findall(r"\((\d+) bytes\)", line)[-1])
            for line in second.log.read_text().splitlines()
            if SPEAKER in line and f"'{DISCOVERY}'" in line
        ]
        removal = {
            "dev": config["dev"],
            "o": config["o"],
            "cmps": {k: {"p": c["p"]} for k, c in config["cmps"].items()},
        }
        assert sizes == [len(encode(removal, "discovery")), len(encode(config, "discovery"))], sizes
        assert json.loads(retained(second.port, DISCOVERY)[DISCOVERY]) == config
    finally:
        r.speaker.gate.set()
        r.bridge.stop()
        first.stop()
        second.stop()
