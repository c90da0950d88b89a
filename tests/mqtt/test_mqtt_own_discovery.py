"""The speaker's own discovery topic, to which it subscribes (the removal of entities an older version
announced under other unique ids: discovery_feed.py).  The broker hands back the discovery it kept at
each connect and every one the speaker publishes; those are not what others sent, so the stats'
`received` leaves them out.
"""

from __future__ import annotations

import json

from brokerkit import Mosquitto
from mqtt_helpers import Watcher
from speakerkit import make_rig, value

from moodspeaker.mqtt.discovery import discovery_config
from moodspeaker.mqtt.topics import Topics

ROOT = "moodspeaker/kitchen"
DISCOVERY = "homeassistant/device/kitchen/config"
KITCHEN = Topics("moodspeaker", "kitchen", "homeassistant")


def _config() -> dict[str, object]:
    return discovery_config(
        KITCHEN, name="Test Speaker", profiles=["default", "alex"], web_url="http://kitchen.local:8080/"
    )


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
