"""The unique ids of the speaker's entities in Home Assistant's entity registry, and the removal of the
entities an older version announced under other ones.

HA keys an entity's registry entry by its unique id, shared by every MQTT device of the house: a
configured device id (`kitchen`) gave `kitchen_mood`, which another DIY device may use as well.  A
running HA keeps an entity's first unique id through discovery updates and, after its next restart,
makes a second entity beside the orphaned one; so the speaker removes what the broker's kept discovery
names otherwise, once, before announcing it again (a component with its platform alone removes it).
"""

from __future__ import annotations

import json
from typing import Any

from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher, retained
from speakerkit import make_rig, value

from moodspeaker.mqtt.discovery import discovery_config
from moodspeaker.mqtt.discovery_updates import stale_components
from moodspeaker.mqtt.topics import Topics

DISCOVERY = "homeassistant/device/kitchen/config"
KITCHEN = Topics("moodspeaker", "kitchen", "homeassistant")


def _config(topics: Topics = KITCHEN) -> dict[str, Any]:
    return discovery_config(topics, name="Kitchen speaker", profiles=["default"])


def _as_before(config: dict[str, Any]) -> dict[str, Any]:
    """The discovery as the versions before the product prefix made it: unique ids `<id>_<key>`."""
    uid = config["dev"]["identifiers"][0].removeprefix("moodspeaker_")
    cmps = {key: {**c, "unique_id": f"{uid}_{key}"} for key, c in config["cmps"].items()}
    return {**config, "cmps": cmps}


def test_unique_ids_carry_the_product_and_derived_ids_stay_as_they_were() -> None:
    configured = [c["unique_id"] for c in _config()["cmps"].values()]
    assert all(u.startswith("moodspeaker_kitchen_") for u in configured), configured
    assert _config()["cmps"]["mood"]["unique_id"] == "moodspeaker_kitchen_mood"
    derived = _config(Topics("moodspeaker", "moodspeaker-0123456789ab", "homeassistant"))
    assert derived["cmps"]["mood"]["unique_id"] == "moodspeaker-0123456789ab_mood"  # already named
    assert stale_components(_as_before(derived), derived) == {}  # nothing to remove for these


def test_stale_components_are_those_not_announced_as_they_were() -> None:
    config = _config()
    assert stale_components(config, config) == {}
    before = _as_before(config)
    assert stale_components(before, config) == {key: {"p": c["p"]} for key, c in config["cmps"].items()}
    moved = {**config, "cmps": {**config["cmps"], "gone": {"p": "sensor", "unique_id": "x_gone"}}}
    moved["cmps"]["volume"] = {**config["cmps"]["volume"], "p": "sensor"}  # another platform
    assert stale_components(moved, config) == {"gone": {"p": "sensor"}, "volume": {"p": "sensor"}}
    removal = {"cmps": {key: {"p": c["p"]} for key, c in config["cmps"].items()}}
    assert stale_components(removal, config) == {}  # removed already: nothing more
    assert stale_components({"cmps": [1]}, config) == stale_components({}, config) == {}


def _on_discovery(msgs: list[Message]) -> list[dict[str, Any]]:
    return [m.json() for m in msgs if m.topic == DISCOVERY and m.payload]


def test_a_speaker_that_announced_the_old_unique_ids_removes_them_once(
    broker: Mosquitto, watcher: Watcher
) -> None:
    """The broker kept the discovery an older version announced: the speaker removes each of its
    components (their platforms alone), then announces them with the new ids; started again, it
    finds its own discovery kept and removes nothing."""
    config = discovery_config(
        KITCHEN, name="Test Speaker", profiles=["default", "alex"], web_url="http://kitchen.local:8080/"
    )
    watcher.publish(DISCOVERY, json.dumps(_as_before(config)), retain=True)
    r = make_rig(broker.port)
    r.bridge.start()
    try:

        def removed_then_announced(msgs: list[Message]) -> list[dict[str, Any]] | None:
            seen = _on_discovery(msgs)
            removals = [i for i, d in enumerate(seen) if all(len(c) == 1 for c in d["cmps"].values())]
            return seen[removals[0] :] if removals and len(seen) > removals[0] + 1 else None

        removal, after, *more = watcher.wait(removed_then_announced)
        assert removal["cmps"] == {key: {"p": c["p"]} for key, c in config["cmps"].items()}
        assert removal["dev"]["identifiers"] == ["moodspeaker_kitchen"]
        assert after["cmps"]["mood"]["unique_id"] == "moodspeaker_kitchen_mood" and not more
        assert json.loads(retained(broker.port, DISCOVERY)[DISCOVERY]) == after
    finally:
        r.bridge.stop()
    watcher.clear()
    again = make_rig(broker.port)
    again.bridge.start()
    try:
        watcher.wait_for("moodspeaker/kitchen/stats")
        # A command sent now reaches the speaker after the kept discovery, so the worker handles that
        # first: its answer marks the end.
        watcher.publish("moodspeaker/kitchen/set_volume/set", "0.44")
        watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.44)
        assert len(_on_discovery(watcher.messages)) == 1  # the announcement's only
    finally:
        again.bridge.stop()
        watcher.publish(DISCOVERY, b"", retain=True)
