"""A discovery message over the 16 KiB publish limit: a household with many long profile names.

Why: ~55 profiles with 64-character names made the device discovery too big to publish; the
PayloadError left the announcement half done (no state refresh, no stats after a connect), and Home
Assistant got no entities at all.  The profile select now offers as many profiles as fit, the active
one always; a discovery that cannot fit at all is logged and the rest of the announcement goes out.
The in-memory speaker behind the real bridge on a real Mosquitto.
"""

from __future__ import annotations

import logging

import pytest
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained
from speakerkit import LONG_PROFILES, long_profiles_rig, make_rig, value

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.mqtt.payloads import MAX_PUBLISH_BYTES

DISCOVERY = "homeassistant/device/kitchen/config"
ROOT = "moodspeaker/kitchen"
PROFILES = LONG_PROFILES


def test_many_long_profiles_are_trimmed_so_discovery_still_fits(broker: Mosquitto, watcher: Watcher) -> None:
    # the active profile is the last one of PROFILES: trimmed away first, were it not the active one
    r, active = long_profiles_rig(broker.port)
    r.bridge.start()
    try:
        # offered before the state says it (the first announcement may not know it is the active one)
        found = watcher.wait_for(DISCOVERY, lambda m: active in m.json()["cmps"]["profile"]["options"])
        assert all(len(m.payload) <= MAX_PUBLISH_BYTES for m in watcher.on(DISCOVERY))
        options = found.json()["cmps"]["profile"]["options"]
        assert 1 < len(options) < len(PROFILES)
        assert options == [p for p in PROFILES if p in options]  # in the household's order
        assert options[:-1] == PROFILES[: len(options) - 1]  # the first ones, then the active one
        # the rest of the announcement went out too: the state (the active profile, which HA's
        # select offered by then) and the stats
        said = watcher.wait_for(f"{ROOT}/state/profile", lambda m: value(m) == active)
        assert watcher.messages.index(found) < watcher.messages.index(said)
        watcher.wait_for(f"{ROOT}/stats")

        # another profile chosen, one the select did not offer: offered before its state goes out
        chosen = next(p for p in PROFILES if p not in options)
        watcher.clear()
        r.speaker.set_profile(chosen)
        watcher.wait_for(f"{ROOT}/state/profile", lambda m: value(m) == chosen)
        order = [
            "state" if m.topic.endswith("/state/profile") else "offered"
            for m in watcher.messages
            if (m.topic.endswith("/state/profile") and value(m) == chosen)
            or (m.topic == DISCOVERY and chosen in m.json()["cmps"]["profile"]["options"])
        ]
        assert order[:2] == ["offered", "state"], order
    finally:
        r.bridge.stop()


def test_a_discovery_too_big_to_publish_costs_nothing_else(
    broker: Mosquitto, watcher: Watcher, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing to trim (a device name over the limit): the discovery is not published, the log says
    so and why, and the state and stats of the announcement go out all the same."""
    r = make_rig(broker.port, device__name="x" * (MAX_PUBLISH_BYTES + 1))
    with caplog.at_level(logging.ERROR, logger="moodspeaker.mqtt"):
        r.bridge.start()
        try:
            watcher.wait_for(f"{ROOT}/stats")
            watcher.wait_for(f"{ROOT}/state/volume", lambda m: value(m) == PlayerConfig().volume)
            assert DISCOVERY not in retained(broker.port, "homeassistant/#")
            assert retained(broker.port, f"{ROOT}/availability")[f"{ROOT}/availability"] == b"online"
        finally:
            r.bridge.stop()
    said = [rec.getMessage() for rec in caplog.records if "discovery not published" in rec.getMessage()]
    assert said and "publish limit" in said[0] and DISCOVERY in said[0], said
