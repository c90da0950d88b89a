"""A cut profile list is announced once at the first connect, offering the active profile already.

Why: with more profiles than fit the discovery message, the announcement fitted the profile select to
the default profile (the active one as last heard: none yet), then the state read right after named
another active profile and `follow` published the discovery again: two discovery messages (two
entity reloads in Home Assistant) at every start.  Now the announcement reads the state first and its
discovery offers that state's active profile.  The in-memory speaker behind the real bridge on a real
Mosquitto.
"""

from __future__ import annotations

from brokerkit import Mosquitto
from mqtt_helpers import Watcher
from speakerkit import LONG_PROFILES, long_profiles_rig, value

from moodspeaker.mqtt.payloads import MAX_PUBLISH_BYTES

DISCOVERY = "homeassistant/device/kitchen/config"
ROOT = "moodspeaker/kitchen"
PROFILES = LONG_PROFILES


def test_first_connect_with_a_cut_list_sends_one_discovery(broker: Mosquitto, watcher: Watcher) -> None:
    # the active profile is the last one of PROFILES: left out of a list fitted to another
    r, active = long_profiles_rig(broker.port)
    r.bridge.start()
    try:
        watcher.wait_for(f"{ROOT}/stats")  # the end of the announcement: its discovery came before
        said = watcher.wait_for(f"{ROOT}/state/profile", lambda m: value(m) == active)
    finally:
        r.bridge.stop()
    sent = watcher.on(DISCOVERY)
    assert len(sent) == 1, [len(m.payload) for m in sent]
    options = sent[0].json()["cmps"]["profile"]["options"]
    assert active in options and len(options) < len(PROFILES) and len(sent[0].payload) <= MAX_PUBLISH_BYTES
    assert watcher.messages.index(sent[0]) < watcher.messages.index(said)  # offered before its state
