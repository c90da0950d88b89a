"""The bridge against a real Mosquitto: discovery, state, events, commands, HA restarts, broker outages.

The speaker here is the in-memory MemorySpeaker (topic-mapping tests); the real service is driven
by test_mqtt_process.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from brokerkit import Mosquitto, free_port, mqtt_config
from mqtt_helpers import Message, Watcher, retained
from speakerkit import MemorySpeaker

from moodspeaker.mqtt import MqttBridge
from moodspeaker.mqtt.payloads import MAX_COMMAND_BYTES
from moodspeaker.mqtt.topics import STATE_KEYS
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import CommandRejected, Event, EventBus, HealthReport, MoodChanged


@dataclass
class Rig:
    bus: EventBus
    speaker: MemorySpeaker
    control: ControlAPI
    bridge: MqttBridge
    events: list[Event]

    def wait_connected(self, timeout: float = 8.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.bridge.connected:
            assert time.monotonic() < deadline, f"bridge never connected: {self.bridge.stats()}"
            time.sleep(0.02)


def make_rig(port: int, device_id: str = "kitchen", **cfg: Any) -> Rig:
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    speaker = MemorySpeaker(bus)
    control = ControlAPI(speaker, bus)
    bridge = MqttBridge(mqtt_config(port, **cfg), control, bus, device_id, "http://kitchen.local:8080/")
    return Rig(bus, speaker, control, bridge, events)


@pytest.fixture
def rig(broker: Mosquitto) -> Iterator[Rig]:
    r = make_rig(broker.port)
    r.bridge.start()
    r.wait_connected()
    yield r
    r.bridge.stop()


def value(msg: Message) -> Any:
    return msg.json()["value"]


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
    assert json.loads(found["moodspeaker/kitchen/state/volume"])["value"] == 0.6


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
    time.sleep(0.3)
    assert len(watcher.on("moodspeaker/kitchen/event/mood_changed")) == 1
    assert [value(m) for m in watcher.on("moodspeaker/kitchen/state/mood")] == ["happy"]
    assert len(watcher.on("moodspeaker/kitchen/state/confidence")) == 2
    rig.speaker.start_track("t1", "Walking on Sunshine", "Katrina", "fits happy")
    started = watcher.wait_for("moodspeaker/kitchen/event/track_started")
    assert started.json()["reason"] == "fits happy"
    playing = watcher.wait_for("moodspeaker/kitchen/state/now_playing", lambda m: value(m) is not None)
    assert value(playing) == {"track_id": "t1", "title": "Walking on Sunshine", "artist": "Katrina",
                              "reason": "fits happy"}  # fmt: skip


def test_commands_change_the_speaker_state(rig: Rig, watcher: Watcher) -> None:
    watcher.publish("moodspeaker/kitchen/set_volume/set", '{"volume": 0.25}')
    watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.25)
    assert rig.speaker.s["volume"] == 0.25
    watcher.publish("moodspeaker/kitchen/set_strategy/set", '"steady"')  # one-argument shorthand
    watcher.wait_for("moodspeaker/kitchen/state/strategy", lambda m: value(m) == "steady")
    watcher.publish("moodspeaker/kitchen/set_profile/set", '{"profile": "alex"}')
    watcher.wait_for("moodspeaker/kitchen/state/profile", lambda m: value(m) == "alex")
    watcher.publish("moodspeaker/kitchen/next/set", "")  # a button press
    watcher.wait_for("moodspeaker/kitchen/state/now_playing", lambda m: bool(value(m)))
    watcher.publish("moodspeaker/kitchen/like/set", "{}")
    watcher.publish("moodspeaker/kitchen/rescan/set", "{}")
    watcher.publish("moodspeaker/kitchen/correct_mood/set", '{"mood": "sad"}')
    deadline = time.monotonic() + 5
    while ("correct_mood", "sad") not in rig.speaker.calls and time.monotonic() < deadline:
        time.sleep(0.02)
    assert {"next", "like", "rescan"} <= {name for name, _ in rig.speaker.calls}
    assert ("correct_mood", "sad") in rig.speaker.calls
    # HA's own payloads (from the discovery templates) work too
    watcher.publish("moodspeaker/kitchen/set_camera/set", '{"enabled":false}')
    watcher.wait_for("moodspeaker/kitchen/state/camera", lambda m: value(m) is False)
    assert not watcher.on("moodspeaker/kitchen/event/command_rejected")


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


BAD_PAYLOADS = [
    ("set_volume", b"{volume: 0.2", "not valid JSON"),
    ("set_volume", b'{"volume": "loud"}', "must be a number"),
    ("set_volume", b'{"volume": 7}', "between 0 and 1"),
    ("set_volume", b'{"volume": 0.2, "extra": 1}', "unexpected argument"),
    ("set_camera", b'{"enabled": "yes"}', "true or false"),
    ("set_profile", b'{"profile": "stranger"}', "existing profile"),
    ("set_volume", b'{"volume": "' + b"9" * (MAX_COMMAND_BYTES * 50) + b'"}', "command limit"),
    ("self_destruct", b"{}", "unknown command"),
    ("next", b"\xff\xfe\x00", "not UTF-8"),
    ("next", b"[1]", "takes no arguments"),
]


def test_bad_payloads_are_rejected_with_an_error_event_and_change_nothing(rig: Rig, watcher: Watcher) -> None:
    time.sleep(0.3)
    before = rig.speaker.state()
    watcher.clear()
    for name, raw, _ in BAD_PAYLOADS:
        watcher.publish(f"moodspeaker/kitchen/{name}/set", raw)

    def all_rejected(msgs: list[Message]) -> list[Message] | None:
        r = [m for m in msgs if m.topic.endswith("/event/command_rejected")]
        return r if len(r) == len(BAD_PAYLOADS) else None

    rejected = watcher.wait(all_rejected)
    for msg, (name, _, error) in zip(rejected, BAD_PAYLOADS, strict=True):
        body = msg.json()
        assert body["schema"] == 1 and body["source"] == "mqtt"
        assert body["command"] == name and error in body["error"], body
    bus_rejections = [e for e in rig.events if isinstance(e, CommandRejected)]
    assert len(bus_rejections) == len(BAD_PAYLOADS)
    time.sleep(0.2)
    assert rig.speaker.state() == before
    assert rig.speaker.calls == []
    assert not [m for m in watcher.messages if "/state/" in m.topic]  # no state topic moved
    assert rig.bridge.connected  # the bridge survived all of it


def test_a_failing_speaker_still_answers_and_the_bridge_carries_on(rig: Rig, watcher: Watcher) -> None:
    rig.speaker.broken = True
    watcher.publish("moodspeaker/kitchen/rescan/set", "")
    failed = watcher.wait_for("moodspeaker/kitchen/event/command_rejected")
    assert "failed inside the speaker" in failed.json()["error"] and "disk vanished" in failed.json()["error"]
    watcher.publish("moodspeaker/kitchen/set_volume/set", "0.4")
    watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.4)


def test_slow_commands_never_delay_events_and_a_flood_is_refused(rig: Rig, watcher: Watcher) -> None:
    rig.speaker.slow_s = 0.5
    watcher.wait_for("moodspeaker/kitchen/stats")
    for _ in range(130):  # 1 runs, 100 wait, the rest are refused at once
        watcher.client.publish("moodspeaker/kitchen/rescan/set", "", qos=1)

    def too_many(m: Message) -> bool:
        return "too many commands" in m.json()["error"]

    refused = watcher.wait_for("moodspeaker/kitchen/event/command_rejected", too_many)
    assert refused.json()["error"].startswith("rescan: too many commands at once")
    rig.speaker.observe("happy", 0.8, 0.7, 0.4)  # the speaker now has ~50 s of slow commands queued:
    watcher.wait_for("moodspeaker/kitchen/event/mood_changed")  # the event still arrives (within 8 s)
    rig.speaker.slow_s = 0.0


def test_retained_commands_are_ignored(broker: Mosquitto, watcher: Watcher) -> None:
    """A command left retained on the broker must not be replayed at every (re)connect."""
    watcher.publish("moodspeaker/kitchen/set_volume/set", '{"volume": 0.1}', retain=True)
    r = make_rig(broker.port)
    r.bridge.start()
    try:
        rejected = watcher.wait_for("moodspeaker/kitchen/event/command_rejected")
        assert "retained" in rejected.json()["error"]
        assert r.speaker.s["volume"] == 0.6
    finally:
        r.bridge.stop()
        watcher.publish("moodspeaker/kitchen/set_volume/set", b"", retain=True)  # clean up the broker


def test_home_assistant_online_triggers_republication(rig: Rig, watcher: Watcher) -> None:
    time.sleep(0.3)
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


def test_broker_restart_loses_no_state_and_reannounces(rig: Rig, broker: Mosquitto) -> None:
    watcher = Watcher(broker.port).start()
    watcher.wait_for("moodspeaker/kitchen/state/volume")
    watcher.stop()
    broker.stop()  # no persistence: every retained message on the broker is gone
    time.sleep(0.3)
    assert not rig.bridge.connected
    rig.speaker.set_volume(0.33)  # changes while the broker is away
    rig.speaker.observe("sad", 0.7, -0.6, -0.3)
    deadline = time.monotonic() + 3
    while rig.bridge.stats()["outbox"] < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert rig.bridge.stats()["outbox"] >= 1  # the mood_changed event waits in the outbox
    broker.start()
    rig.wait_connected(10)
    found = {}
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        found = retained(broker.port, "#", settle=0.3)
        if "homeassistant/device/kitchen/config" in found and len(found) >= len(STATE_KEYS) + 2:
            break
    assert found["moodspeaker/kitchen/availability"] == b"online"
    assert "homeassistant/device/kitchen/config" in found
    assert json.loads(found["moodspeaker/kitchen/state/volume"])["value"] == 0.33
    assert json.loads(found["moodspeaker/kitchen/state/mood"])["value"] == "sad"
    assert rig.bridge.stats()["outbox"] == 0 and rig.bridge.stats()["connects"] == 2


def test_speakers_never_collide_and_group_commands_reach_all(broker: Mosquitto, watcher: Watcher) -> None:
    kitchen, bedroom = make_rig(broker.port, "kitchen"), make_rig(broker.port, "bedroom")
    for r in (kitchen, bedroom):
        r.bridge.start()
    try:
        kitchen.wait_connected()
        bedroom.wait_connected()
        watcher.wait_for("homeassistant/device/bedroom/config")
        watcher.wait_for("homeassistant/device/kitchen/config")
        uids = [
            c["unique_id"]
            for dev in ("kitchen", "bedroom")
            for c in watcher.wait_for(f"homeassistant/device/{dev}/config").json()["cmps"].values()
        ]
        assert len(set(uids)) == len(uids)
        watcher.publish("moodspeaker/kitchen/set_volume/set", "0.2")
        watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.2)
        time.sleep(0.2)
        assert bedroom.speaker.s["volume"] == 0.6
        watcher.publish("moodspeaker/all/play/set", "")
        watcher.wait_for("moodspeaker/kitchen/state/playing", lambda m: value(m) is True)
        watcher.wait_for("moodspeaker/bedroom/state/playing", lambda m: value(m) is True)
        watcher.publish("moodspeaker/all/set_volume/set", "2")  # invalid: each speaker says so
        watcher.wait_for(
            "moodspeaker/kitchen/event/command_rejected", lambda m: m.json()["source"] == "mqtt-group"
        )
        watcher.wait_for(
            "moodspeaker/bedroom/event/command_rejected", lambda m: m.json()["source"] == "mqtt-group"
        )
        kitchen.bridge.stop()  # one speaker leaving does not touch the other
        watcher.wait_for("moodspeaker/kitchen/availability", lambda m: m.payload == b"offline")
        online = watcher.last("moodspeaker/bedroom/availability")
        assert online is not None and online.payload == b"online"
    finally:
        kitchen.bridge.stop()
        bedroom.bridge.stop()


def test_forget_removes_the_device_from_home_assistant(rig: Rig, broker: Mosquitto, watcher: Watcher) -> None:
    watcher.wait_for("homeassistant/device/kitchen/config")
    rig.bridge.forget()
    cleared = watcher.wait_for("homeassistant/device/kitchen/config", lambda m: m.payload == b"")
    assert cleared.payload == b""
    time.sleep(0.2)
    left = retained(broker.port, "#")
    assert not [t for t in left if "kitchen" in t], left


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
        stats = watcher.wait_for("moodspeaker/kitchen/stats", timeout=5).json()
        assert stats["schema"] == 1 and stats["device_id"] == "kitchen"
        assert stats["mqtt"]["connected"] is True and stats["mqtt"]["published"] > 0
        assert stats["health"] == {}
        watcher.wait(lambda ms: len([m for m in ms if m.topic.endswith("/stats")]) >= 2)  # and again
        r.bus.publish(HealthReport(time.time(), {"fps": 9.5}))
        topic = "moodspeaker/kitchen/stats"
        watcher.wait_for(topic, lambda m: m.json()["health"] == {"fps": 9.5})
        r.bus.publish(HealthReport(time.time(), {"log": "x" * 20000}))  # too big: stats go out without it
        stats = watcher.wait_for(topic, lambda m: "omitted" in m.json()["health"]).json()
        assert "publish limit" in stats["health"]["omitted"] and stats["mqtt"]["connected"]
    finally:
        r.bridge.stop()


def test_no_broker_never_blocks_and_the_outbox_stays_bounded(tmp_path: Path) -> None:
    port = free_port()
    r = make_rig(port, mqtt__outbox_size=10)
    started = time.monotonic()
    r.bridge.start()
    for i in range(500):
        r.bus.publish(MoodChanged(time.time(), "happy" if i % 2 else "sad", "neutral", 0.8, 0.5, 0.1))
    r.speaker.set_volume(0.45)
    assert time.monotonic() - started < 1.0  # nothing waited for the absent broker
    deadline = time.monotonic() + 5
    while r.bridge.stats()["dropped"] < 490 and time.monotonic() < deadline:
        time.sleep(0.02)
    stats = r.bridge.stats()
    assert stats["outbox"] == 10 and stats["dropped"] == 490 and not stats["connected"]
    assert "cannot connect" in stats["last_error"] or stats["last_error"] == ""
    late = Mosquitto(tmp_path, port=port)  # the broker appears later: the bridge finds it by itself
    late.start()
    try:
        r.wait_connected(10)
        deadline = time.monotonic() + 5
        found: dict[str, bytes] = {}
        while time.monotonic() < deadline:
            found = retained(port, "moodspeaker/#", settle=0.3)
            if "moodspeaker/kitchen/state/volume" in found:
                break
        assert json.loads(found["moodspeaker/kitchen/state/volume"])["value"] == 0.45
        assert r.bridge.stats()["outbox"] == 0
    finally:
        r.bridge.stop()
        late.stop()


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


def test_two_speakers_with_the_same_device_id_are_reported(broker: Mosquitto) -> None:
    """Same id, same client id: the broker throws each out when the other connects; say so clearly."""
    first, second = make_rig(broker.port, "twin"), make_rig(broker.port, "twin")
    first.bridge.start()
    second.bridge.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            errors = first.bridge.stats()["last_error"] + second.bridge.stats()["last_error"]
            if "same device id" in errors:
                break
            time.sleep(0.1)
        assert "same device id" in errors, (first.bridge.stats(), second.bridge.stats())
    finally:
        first.bridge.stop()
        second.bridge.stop()


def test_stale_events_are_not_replayed_after_an_outage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mood change from long ago must not fire a home automation now; the state is still re-sent."""
    from moodspeaker.mqtt import client  # noqa: PLC0415

    monkeypatch.setattr(client, "EVENT_MAX_AGE_S", 0.5)
    port = free_port()
    r = make_rig(port)
    r.bridge.start()
    try:
        for mood in ("happy", "sad", "angry"):
            r.speaker.observe(mood, 0.8, 0.1, 0.1)
        deadline = time.monotonic() + 3
        while r.bridge.stats()["outbox"] < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.6)
        late = Mosquitto(tmp_path, port=port)
        late.start()
        try:
            r.wait_connected(10)
            deadline = time.monotonic() + 3
            while r.bridge.stats()["expired"] < 3 and time.monotonic() < deadline:
                time.sleep(0.02)
            stats = r.bridge.stats()
            assert stats["expired"] == 3 and stats["outbox"] == 0
            found = retained(port, "moodspeaker/#")
            assert json.loads(found["moodspeaker/kitchen/state/mood"])["value"] == "angry"
        finally:
            r.bridge.stop()
            late.stop()
    finally:
        r.bridge.stop()
