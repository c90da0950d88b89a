"""The bridge against a real Mosquitto, what Home Assistant sends: commands that change the speaker,
bad payloads rejected with a reason, a failing or slow speaker, retained commands, group commands.

The speaker here is the in-memory MemorySpeaker (the `rig` fixture is in conftest.py).
"""

from __future__ import annotations

import time

from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher
from speakerkit import Rig, make_rig, value

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.mqtt.payloads import MAX_COMMAND_BYTES
from moodspeaker.service.events import CommandRejected
from polling import until


def test_commands_change_the_speaker_state(rig: Rig, watcher: Watcher) -> None:
    watcher.publish("moodspeaker/kitchen/set_volume/set", '{"volume": 0.25}')
    watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.25)
    assert rig.speaker.s["volume"] == 0.25
    watcher.publish("moodspeaker/kitchen/set_strategy/set", '"steady"')  # one-argument shorthand
    watcher.wait_for("moodspeaker/kitchen/state/strategy", lambda m: value(m) == "steady")
    watcher.publish("moodspeaker/kitchen/set_profile/set", '{"profile": "alex"}')
    watcher.wait_for("moodspeaker/kitchen/state/profile", lambda m: value(m) == "alex")
    watcher.publish("moodspeaker/kitchen/next/set", "PRESS")  # a button press
    watcher.wait_for("moodspeaker/kitchen/state/now_playing", lambda m: bool(value(m)))
    watcher.publish("moodspeaker/kitchen/like/set", "{}")
    watcher.publish("moodspeaker/kitchen/rescan/set", "{}")
    watcher.publish("moodspeaker/kitchen/correct_mood/set", '{"mood": "sad"}')
    until(
        lambda: ("correct_mood", "sad") in rig.speaker.calls,
        what="correct_mood",
        detail=lambda: rig.speaker.calls,
    )
    assert {"next", "like", "rescan"} <= {name for name, _ in rig.speaker.calls}
    assert ("correct_mood", "sad") in rig.speaker.calls
    # HA's own payloads (from the discovery templates) work too
    watcher.publish("moodspeaker/kitchen/set_camera/set", '{"enabled":false}')
    watcher.wait_for("moodspeaker/kitchen/state/camera", lambda m: value(m) is False)
    assert not watcher.on("moodspeaker/kitchen/event/command_rejected")


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
    watcher.wait_for("moodspeaker/kitchen/stats")  # the announcement (retained state) is through
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
    watcher.publish("moodspeaker/kitchen/rescan/set", "PRESS")
    failed = watcher.wait_for("moodspeaker/kitchen/event/command_rejected")
    assert "failed inside the speaker" in failed.json()["error"] and "disk vanished" in failed.json()["error"]
    watcher.publish("moodspeaker/kitchen/set_volume/set", "0.4")
    watcher.wait_for("moodspeaker/kitchen/state/volume", lambda m: value(m) == 0.4)


def test_slow_commands_never_delay_events_and_a_flood_is_refused(rig: Rig, watcher: Watcher) -> None:
    rig.speaker.slow_s = 0.5
    watcher.wait_for("moodspeaker/kitchen/stats")
    for _ in range(130):  # 1 runs, 100 wait, the rest are refused at once
        watcher.client.publish("moodspeaker/kitchen/rescan/set", "PRESS", qos=1)

    def too_many(m: Message) -> bool:
        return "too many commands" in m.json()["error"]

    refused = watcher.wait_for("moodspeaker/kitchen/event/command_rejected", too_many)
    assert refused.json()["error"].startswith("rescan: too many commands at once")
    rig.speaker.observe("happy", 0.8, 0.7, 0.4)  # the speaker now has ~50 s of slow commands queued:
    watcher.wait_for("moodspeaker/kitchen/event/mood_changed")  # still arrives: within 30 s, not ~50
    rig.speaker.slow_s = 0.0


def test_retained_commands_are_ignored(broker: Mosquitto, watcher: Watcher) -> None:
    """A command left retained on the broker must not be replayed at every (re)connect."""
    watcher.publish("moodspeaker/kitchen/set_volume/set", '{"volume": 0.1}', retain=True)
    r = make_rig(broker.port)
    r.bridge.start()
    try:
        rejected = watcher.wait_for("moodspeaker/kitchen/event/command_rejected")
        assert "retained" in rejected.json()["error"]
        assert r.speaker.s["volume"] == PlayerConfig().volume
    finally:
        r.bridge.stop()
        watcher.publish("moodspeaker/kitchen/set_volume/set", b"", retain=True)  # clean up the broker


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
        assert bedroom.speaker.s["volume"] == PlayerConfig().volume
        watcher.publish("moodspeaker/all/play/set", "PRESS")
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
