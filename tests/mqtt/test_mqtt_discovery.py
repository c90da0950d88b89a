"""The bridge against a real Mosquitto, what Home Assistant reads: discovery, retained state, events,
stats, re-announcement when HA comes back, and removal (forget, discovery off).

The speaker here is the in-memory MemorySpeaker (topic-mapping tests; the `rig` fixture is in
conftest.py); commands are in test_mqtt_commands.py, broker outages in test_mqtt_outages.py, and the
real service is driven by test_mqtt_process.py.
"""

from __future__ import annotations

import json
import time

import pytest
from brokerkit import Mosquitto, free_port
from mqtt_helpers import Watcher, ha_render, retained
from speakerkit import Rig, make_rig, value

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.mqtt.topics import STATE_KEYS
from moodspeaker.service.events import HealthReport, MoodChanged
from polling import until


def test_discovery_and_state_are_retained_and_well_formed(rig: Rig, broker: Mosquitto) -> None:
    watcher = Watcher(broker.port).start()
    watcher.wait_for("homeassistant/device/kitchen/config")
    watcher.stop()
    found = retained(broker.port, "#")
    config = json.loads(found["homeassistant/device/kitchen/config"])
    assert config["dev"]["name"] == "Test Speaker"
    assert config["dev"]["configuration_url"] == "http://kitchen.local:8080/"
    assert config["o"]["name"] == "moodspeaker"
    assert config["availability_topic"] == "moodspeaker/kitchen/availability"
    assert config["cmps"]["profile"]["options"] == ["default", "alex"]
    for c in config["cmps"].values():  # every topic an entity reads exists and is retained (except events)
        for key in ("state_topic", "json_attributes_topic"):
            if key in c and "/event/" not in c[key]:
                assert c[key] in found, c[key]
    assert found["moodspeaker/kitchen/availability"] == b"online"
    for key in STATE_KEYS:
        payload = json.loads(found[f"moodspeaker/kitchen/state/{key}"])
        assert payload["schema"] == 1 and "value" in payload and "ts" in payload
    assert json.loads(found["moodspeaker/kitchen/state/volume"])["value"] == PlayerConfig().volume


def test_every_entity_asks_for_qos_1_itself(rig: Rig, broker: Mosquitto) -> None:
    """Home Assistant before 2026.5 did not pass a device discovery's shared `qos` on to its components
    (home-assistant/core#170166): they subscribed to the state topics and sent commands at QoS 0."""
    watcher = Watcher(broker.port).start()
    watcher.wait_for("homeassistant/device/kitchen/config")
    watcher.stop()
    config = json.loads(retained(broker.port, "homeassistant/#")["homeassistant/device/kitchen/config"])
    at_qos_0 = [key for key, c in config["cmps"].items() if c.get("qos") != 1]
    assert not at_qos_0, f"these entities would use QoS 0 on such a Home Assistant: {at_qos_0}"


def test_upkeep_entities_are_categorised_as_home_assistant_expects(rig: Rig, broker: Mosquitto) -> None:
    """The library scan, the audio output's health, the uptime and the mood's confidence are
    diagnostics and Rescan is a config action (HA lists them apart from the controls and sensors a
    household uses); HA refuses the `config` category on read-only entities."""
    watcher = Watcher(broker.port).start()
    watcher.wait_for("homeassistant/device/kitchen/config")
    watcher.stop()
    config = json.loads(retained(broker.port, "homeassistant/#")["homeassistant/device/kitchen/config"])
    categories = {key: c["entity_category"] for key, c in config["cmps"].items() if "entity_category" in c}
    assert categories == {
        "confidence": "diagnostic",
        "scan": "diagnostic",
        "audio": "diagnostic",
        "stats": "diagnostic",
        "mqtt": "diagnostic",
        "command_rejected": "diagnostic",
        "rescan": "config",
    }
    read_only = [k for k, c in config["cmps"].items() if c["p"] in ("sensor", "binary_sensor", "event")]
    assert not [k for k in read_only if categories.get(k) == "config"]


def test_state_follows_the_speaker_and_mood_events_only_on_change(rig: Rig, watcher: Watcher) -> None:
    watcher.wait_for("moodspeaker/kitchen/stats")  # the announcement (retained state) is through
    watcher.clear()
    rig.speaker.observe("happy", 0.8, 0.7, 0.4)
    changed = watcher.wait_for("moodspeaker/kitchen/event/mood_changed")
    assert changed.json()["event_type"] == "happy" and changed.json()["previous"] == "neutral"
    assert not changed.retain
    assert value(watcher.wait_for("moodspeaker/kitchen/state/mood", lambda m: value(m) == "happy")) == "happy"
    watcher.wait_for("moodspeaker/kitchen/state/confidence", lambda m: value(m) == 0.8)
    rig.speaker.observe("happy", 0.9, 0.7, 0.4)  # same mood, new confidence
    rig.speaker.observe("happy", 0.9, 0.7, 0.4)  # nothing new at all
    watcher.wait_for("moodspeaker/kitchen/state/confidence", lambda m: value(m) == 0.9)
    rig.speaker.set_volume(0.41)  # published after whatever the observations caused: marks its end
    watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.41)
    assert len(watcher.on("moodspeaker/kitchen/event/mood_changed")) == 1
    assert [value(m) for m in watcher.on("moodspeaker/kitchen/state/mood")] == ["happy"]
    assert len(watcher.on("moodspeaker/kitchen/state/confidence")) == 2
    rig.speaker.start_track("t1", "Walking on Sunshine", "Katrina", "fits happy")
    started = watcher.wait_for("moodspeaker/kitchen/event/track_started")
    assert started.json()["reason"] == "fits happy"
    playing = watcher.wait_for("moodspeaker/kitchen/state/now_playing", lambda m: value(m) is not None)
    assert value(playing) == {"track_id": "t1", "title": "Walking on Sunshine", "artist": "Katrina",
                              "reason": "fits happy"}  # fmt: skip


def test_now_playing_shows_a_track_without_an_artist_by_its_title(rig: Rig, watcher: Watcher) -> None:
    """An untagged file has no artist (its title is the file name): HA shows just the title."""
    config = watcher.wait_for("homeassistant/device/kitchen/config").json()
    template = config["cmps"]["now_playing"]["value_template"]
    rig.speaker.start_track("t7", "holiday-2019", "", "fits neutral")
    untagged = watcher.wait_for("moodspeaker/kitchen/state/now_playing", lambda m: value(m) is not None)
    rig.speaker.start_track("t8", "Song", "Band", "fits neutral")
    topic = "moodspeaker/kitchen/state/now_playing"
    tagged = watcher.wait_for(topic, lambda m: (value(m) or {}).get("track_id") == "t8")
    assert ha_render(template, untagged.json()) == "holiday-2019"  # as HA renders it
    assert ha_render(template, tagged.json()) == "Band - Song"


def test_home_assistant_gets_no_page_link_it_cannot_open(broker: Mosquitto, watcher: Watcher) -> None:
    """A page that listens on loopback only (`web.host = 127.0.0.1`) cannot be opened from another
    machine: HA's "Visit" link would lead nowhere, so the device gets none.  The page on every
    address (0.0.0.0, reported as 127.0.0.1) is linked by the speaker's LAN address, if it has one, and
    without one not at all (a loopback link opens the viewer's own machine)."""
    r = make_rig(broker.port, web_url="http://127.0.0.1:8080/", web__host="127.0.0.1")
    r.bridge.start()
    try:
        config = watcher.wait_for("homeassistant/device/kitchen/config").json()
    finally:
        r.bridge.stop()
    assert "configuration_url" not in config["dev"], config["dev"]


def test_camera_off_makes_mood_topics_say_so(rig: Rig, watcher: Watcher) -> None:
    rig.speaker.observe("happy", 0.8, 0.7, 0.4)
    watcher.wait_for("moodspeaker/kitchen/state/mood", lambda m: value(m) == "happy")
    watcher.publish("moodspeaker/kitchen/set_camera/set", "false")
    mood = watcher.wait_for("moodspeaker/kitchen/state/mood", lambda m: m.json()["status"] == "camera_off")
    assert value(mood) == "unknown"
    for key in ("confidence", "valence", "arousal", "face"):
        msg = watcher.wait_for(
            f"moodspeaker/kitchen/state/{key}", lambda m: m.json()["status"] == "camera_off"
        )
        assert value(msg) is None


def test_home_assistant_online_triggers_republication(rig: Rig, watcher: Watcher) -> None:
    watcher.wait_for("moodspeaker/kitchen/stats")  # the first announcement is through
    watcher.clear()
    watcher.publish("homeassistant/status", "online")
    config = watcher.wait_for("homeassistant/device/kitchen/config")
    assert json.loads(config.payload)["cmps"]
    watcher.wait(
        lambda msgs: {m.topic for m in msgs} >= {f"moodspeaker/kitchen/state/{k}" for k in STATE_KEYS}
    )
    watcher.wait_for("moodspeaker/kitchen/availability", lambda m: m.payload == b"online")
    watcher.clear()
    watcher.publish("homeassistant/status", "offline")  # HA going away needs nothing from us
    time.sleep(0.3)
    assert not watcher.on("homeassistant/device/kitchen/config")


def test_a_retained_home_assistant_birth_message_is_not_a_restart(
    broker: Mosquitto, watcher: Watcher
) -> None:
    """HA can be set to retain its birth message: then every (re)connect of the speaker receives an old
    `online`, which is no news of a restart (a real one reaches a connected speaker as a live message)."""
    watcher.publish("homeassistant/status", "online", retain=True)
    r = make_rig(broker.port)
    r.bridge.start()
    try:
        watcher.wait_for("moodspeaker/kitchen/stats")
        # The retained birth message (its own discovery, which comes back too, is not counted):
        until(lambda: r.bridge.stats()["received"] >= 1, what="the retained birth message arrived")
        r.speaker.set_volume(0.41)  # queued after whatever the birth message caused
        watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.41)
        assert len(watcher.on("homeassistant/device/kitchen/config")) == 1
        assert r.bridge.stats()["ha_online"] == 0
    finally:
        r.bridge.stop()
        watcher.publish("homeassistant/status", "", retain=True)


def test_each_state_topic_goes_out_once_when_it_connects(broker: Mosquitto, watcher: Watcher) -> None:
    r = make_rig(broker.port)
    r.bridge.start()  # the watcher is subscribed already: it sees the whole first announcement
    try:
        watcher.wait_for("moodspeaker/kitchen/stats")
        r.speaker.set_volume(0.41)  # published after the announcement, so it marks its end
        watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.41)
        counts = {key: len(watcher.on(f"moodspeaker/kitchen/state/{key}")) for key in STATE_KEYS}
        assert counts == {key: 2 if key == "volume" else 1 for key in STATE_KEYS}, counts
    finally:
        r.bridge.stop()


def test_forget_removes_the_device_from_home_assistant(rig: Rig, broker: Mosquitto, watcher: Watcher) -> None:
    watcher.wait_for("homeassistant/device/kitchen/config")
    assert rig.bridge.forget() is True  # the broker acknowledged the removal
    cleared = watcher.wait_for("homeassistant/device/kitchen/config", lambda m: m.payload == b"")
    assert cleared.payload == b""

    def kitchen_left() -> list[str]:
        return [t for t in retained(broker.port, "#") if "kitchen" in t]

    until(lambda: not kitchen_left(), what="every kitchen topic cleared", detail=kitchen_left)


def test_forget_without_the_broker_says_nothing_was_cleared(rig: Rig, broker: Mosquitto) -> None:
    broker.stop()
    until(lambda: not rig.bridge.connected, what="the outage noticed")
    assert rig.bridge.forget(timeout=1.0) is False  # not a silent success: HA still has the device


def test_discovery_off_clears_an_earlier_announcement(broker: Mosquitto, watcher: Watcher) -> None:
    first = make_rig(broker.port)
    first.bridge.start()
    watcher.wait_for("homeassistant/device/kitchen/config", lambda m: m.payload != b"")
    first.bridge.stop()
    second = make_rig(broker.port, mqtt__discovery=False)
    second.bridge.start()
    try:
        watcher.wait_for("homeassistant/device/kitchen/config", lambda m: m.payload == b"")
        assert "homeassistant/device/kitchen/config" not in retained(broker.port, "homeassistant/#")
    finally:
        second.bridge.stop()


def test_periodic_stats(broker: Mosquitto, watcher: Watcher) -> None:
    r = make_rig(broker.port, mqtt__stats_interval_s=1.0)
    r.bridge.start()
    try:
        r.bus.publish(MoodChanged(time.time(), "happy", "neutral", 0.8, 0.7, 0.4))
        stats = watcher.wait_for("moodspeaker/kitchen/stats").json()
        assert stats["schema"] == 1 and stats["device_id"] == "kitchen"
        assert stats["mqtt"]["connected"] is True and stats["mqtt"]["published"] > 0
        assert stats["health"] == {}
        watcher.wait(lambda ms: len([m for m in ms if m.topic.endswith("/stats")]) >= 2)  # and again
        stages = {"classify": {"avg_ms": 0.8, "count": 9}}
        reasons = [{"ts": 1.0, "track_id": "t1", "title": "Song", "reason": "you look happy (80% sure)"}]
        r.bus.publish(HealthReport(time.time(), {"stages": stages, "reasons": reasons}))
        topic = "moodspeaker/kitchen/stats"
        # how it runs goes out; the explanations (they quote the moods read) do not
        watcher.wait_for(topic, lambda m: m.json()["health"] == {"stages": stages})
        incidents = [{"ts": 1.0, "component": "camera", "message": "x" * 20000}]
        r.bus.publish(HealthReport(time.time(), {"incidents": incidents}))  # too big: stats go without it
        stats = watcher.wait_for(topic, lambda m: "omitted" in m.json()["health"]).json()
        assert "publish limit" in stats["health"]["omitted"] and stats["mqtt"]["connected"]
    finally:
        r.bridge.stop()


def test_nothing_published_is_image_data_or_oversized(rig: Rig, watcher: Watcher) -> None:
    rig.speaker.observe("surprise", 0.6, 0.3, 0.8)
    rig.speaker.start_track("t9", "Song", "Band", "fits surprise")
    watcher.publish("homeassistant/status", "online")
    watcher.wait_for("homeassistant/device/kitchen/config")
    time.sleep(0.3)
    for m in watcher.messages:
        assert len(m.payload) < 16384
        assert not m.payload.startswith((b"\xff\xd8", b"\x89PNG", b"BM", b"P5", b"P6"))
        if m.topic.endswith("/availability") or m.topic == "homeassistant/status":
            assert m.payload in (b"online", b"offline")
        elif m.payload:
            json.loads(m.payload)  # everything else is JSON


def test_mqtt_forget_command_removes_a_stopped_speaker(
    broker: Mosquitto, watcher: Watcher, capsys: pytest.CaptureFixture[str]
) -> None:
    from moodspeaker.cli import main  # noqa: PLC0415

    r = make_rig(broker.port)
    r.bridge.start()
    watcher.wait_for("homeassistant/device/kitchen/config", lambda m: m.payload != b"")
    watcher.wait_for("moodspeaker/kitchen/stats")
    r.bridge.stop()
    assert "homeassistant/device/kitchen/config" in retained(broker.port, "#")
    settings = ["--set", "mqtt.host=127.0.0.1", "--set", f"mqtt.port={broker.port}"]
    assert main([*settings, "mqtt", "forget", "--device-id", "kitchen"]) == 0
    assert "removed from Home Assistant: homeassistant/device/kitchen/config" in capsys.readouterr().out
    left = retained(broker.port, "#")
    assert not [t for t in left if "kitchen" in t], left
    closed = free_port()  # nothing listens there: a clear error, not a hang
    assert main(["--set", f"mqtt.port={closed}", "mqtt", "forget", "--device-id", "x", "--timeout", "1"]) == 1
    assert "could not connect" in capsys.readouterr().err
    assert main(["--set", "mqtt.username=u", "mqtt", "forget"]) == 2


def test_a_new_profile_is_in_the_select_before_its_state(broker: Mosquitto, watcher: Watcher) -> None:
    """A listener added at run time and chosen: HA's select must offer it by the time the profile state
    says it (HA refuses a state that is not one of its options), not at the next stats (up to an hour)."""
    r = make_rig(broker.port, mqtt__stats_interval_s=3600.0)
    r.bridge.start()
    try:
        discovery = "homeassistant/device/kitchen/config"
        watcher.wait_for(discovery)
        r.speaker._profiles.append("bob")  # added in the page...
        r.speaker.set_profile("bob")  # ...and chosen (its StateChanged, as the service publishes it)
        watcher.wait_for("moodspeaker/kitchen/state/profile", lambda m: value(m) == "bob")
        order = [
            "state" if m.topic.endswith("/state/profile") else "offered"
            for m in watcher.messages
            if (m.topic.endswith("/state/profile") and value(m) == "bob")
            or (m.topic == discovery and "bob" in m.json()["cmps"]["profile"]["options"])
        ]
        assert order[:2] == ["offered", "state"], order  # as received, in the broker's order
    finally:
        r.bridge.stop()
