"""Home Assistant's entities as an integrator sees them: what each one shows, read from the real
discovery and state messages on a real Mosquitto (the in-memory speaker behind the real bridge), the
value templates rendered as HA renders them (a sandboxed Jinja environment).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any

from brokerkit import Mosquitto, mqtt_config
from mqtt_helpers import Message, Watcher, ha_render, retained
from speakerkit import MemorySpeaker, Rig, value

from moodspeaker.mqtt import MqttBridge
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus, StateChanged

DISCOVERY = "homeassistant/device/kitchen/config"
ROOT = "moodspeaker/kitchen"


def _components(rig: Rig) -> dict[str, Any]:
    found = retained(rig.bridge.settings.port, DISCOVERY)
    components: dict[str, Any] = json.loads(found[DISCOVERY])["cmps"]
    return components


def _render(template: str, payload: bytes) -> str:
    return ha_render(template, json.loads(payload))


def test_playing_is_a_running_binary_sensor(rig: Rig, watcher: Watcher) -> None:
    """`state/playing` was published, but no entity read it: HA had no "Playing" to automate on."""
    playing = _components(rig)["playing"]
    assert (playing["p"], playing["name"], playing["device_class"]) == ("binary_sensor", "Playing", "running")
    assert playing["state_topic"] == f"{ROOT}/state/playing"
    assert playing["unique_id"] == "moodspeaker_kitchen_playing" and playing["qos"] == 1
    rig.speaker.play()
    on = watcher.wait_for(playing["state_topic"], lambda m: value(m) is True)
    assert _render(playing["value_template"], on.payload) == "ON"
    rig.speaker.pause()
    off = watcher.wait_for(playing["state_topic"], lambda m: value(m) is False)
    assert _render(playing["value_template"], off.payload) == "OFF"
    assert _render(playing["value_template"], b'{"schema": 1, "value": null}') == "None"  # unknown


class _Clocks:
    """The bridge's two clocks, moved by the test: the wall clock (`ts`) and the monotonic one
    (`uptime_s`)."""

    def __init__(self) -> None:
        self.wall = 1_796_500_000.4
        self.mono = 1000.0

    def advance(self, seconds: float, wall_extra: float = 0.0) -> None:
        self.mono += seconds
        self.wall += seconds + wall_extra


def test_uptime_changes_only_when_the_speaker_restarts(broker: Mosquitto, watcher: Watcher) -> None:
    """HA's Uptime was a count of seconds, a new state at every stats message (every minute): HA's
    rule is that an entity does not change just because time passes.  It is the time the speaker
    started (`device_class: timestamp`), the same from one stats message to the next, moved only
    when the wall clock itself was set (NTP after the boot of a Pi without a real-time clock)."""
    clocks = _Clocks()
    bus = EventBus()
    speaker = MemorySpeaker(bus)
    config = mqtt_config(broker.port, mqtt__stats_interval_s=3600.0)
    bridge = MqttBridge(
        config,
        ControlAPI(speaker, bus),
        bus,
        "kitchen",
        clock=lambda: clocks.wall,
        monotonic=lambda: clocks.mono,
    )
    bridge.start()
    try:
        stats = watcher.wait_for(f"{ROOT}/stats")
        uptime = json.loads(retained(broker.port, DISCOVERY)[DISCOVERY])["cmps"]["stats"]
        assert uptime["device_class"] == "timestamp" and "unit_of_measurement" not in uptime
        assert uptime["entity_category"] == "diagnostic"  # when the service started: a diagnostic
        first = _render(uptime["value_template"], stats.payload)
        assert datetime.fromisoformat(first) == datetime.fromtimestamp(1_796_500_000, UTC)  # to the second

        def stats_again() -> str:
            watcher.clear()
            bus.publish(StateChanged(time.time(), "data_deleted", True))  # the stats are made again
            return _render(uptime["value_template"], watcher.wait_for(f"{ROOT}/stats").payload)

        clocks.advance(61.7, wall_extra=0.6)  # a minute later; the clocks' reads a little apart
        assert stats_again() == first
        clocks.advance(1800.0, wall_extra=-0.9)  # (the periodic stats, every 3600 s, never come)
        assert stats_again() == first
        assert value_of(watcher, "uptime_s") == 1861.7  # the count is still in the payload

        clocks.advance(5.0, wall_extra=86_400.0)  # NTP set the wall clock a day on
        moved = datetime.fromisoformat(stats_again())
        assert moved.tzinfo is not None
        assert moved == datetime.fromtimestamp(1_796_500_000 + 86_400, UTC)
    finally:
        bridge.stop()


def value_of(watcher: Watcher, key: str) -> Any:
    last = watcher.last(f"{ROOT}/stats")
    assert last is not None
    return last.json()[key]


def test_the_numbers_of_each_reading_are_off_until_wanted(rig: Rig, watcher: Watcher) -> None:
    """Each reading (every camera.interval_s) publishes new numbers: enabled, valence and arousal
    filled HA's database with two states a second that hardly anyone charts.  They come disabled
    (enabled_by_default false, as HA's integrations do with noisy numbers), their topics published
    all the same.  So does the mood's confidence, a diagnostic (how sure the classifier is), as HA's
    integrations make a signal strength: enabled with `state_class: measurement` it wrote a state and
    fed HA's statistics while a listener was in view, which TOPICS.md then advised excluding from the
    recorder.  Each keeps `measurement` (enabled, it gets the statistics a chart wants); the mood and
    who is in view stay enabled."""
    components = _components(rig)
    noisy = ("confidence", "valence", "arousal")
    assert [components[key]["enabled_by_default"] for key in noisy] == [False, False, False]
    assert [components[key]["state_class"] for key in noisy] == ["measurement"] * 3
    assert components["confidence"]["entity_category"] == "diagnostic"
    assert all(components[key].get("enabled_by_default", True) for key in ("mood", "face", "asked"))
    enabled_measured = [
        key
        for key, c in components.items()
        if c.get("state_class") == "measurement" and c.get("enabled_by_default", True)
    ]
    assert not enabled_measured, f"enabled, in HA's statistics at every reading: {enabled_measured}"
    rig.speaker.observe("happy", 0.8, 0.7, 0.5)
    watcher.wait_for(f"{ROOT}/state/valence", lambda m: value(m) == 0.7)
    watcher.wait_for(f"{ROOT}/state/arousal", lambda m: value(m) == 0.5)


def test_confidence_changes_in_home_assistant_by_whole_percents(rig: Rig, watcher: Watcher) -> None:
    """The confidence moves a little with every reading; HA writes a new state only when the rendered
    value changes, and it rendered tenths of a percent (shown as whole ones): a row in its database
    at nearly every reading.  Whole percents, as shown: a wobble within one percent writes nothing."""
    template = _components(rig)["confidence"]["value_template"]
    shown = []
    for confidence in (0.713, 0.709, 0.716, 0.726):
        rig.speaker.observe("happy", confidence, 0.7, 0.5)
        published = watcher.wait(partial(_confidence, confidence=confidence))
        shown.append(_render(template, published.payload))
    assert shown == ["71", "71", "72", "73"], shown
    assert _render(template, b'{"schema": 1, "value": null}') == "None"


def _confidence(messages: list[Message], confidence: float) -> Message | None:
    return next(
        (m for m in messages if m.topic == f"{ROOT}/state/confidence" and value(m) == confidence), None
    )


def test_a_refused_command_fires_the_command_refused_event(rig: Rig, watcher: Watcher) -> None:
    """`event/command_rejected` had no entity: a button press or setting the speaker refused showed
    nowhere in HA.  A diagnostic event entity reads it; HA's event entity takes the JSON payload as it
    is (no value_template) and drops a message whose `event_type` is not one of its event_types."""
    refused = _components(rig)["command_rejected"]
    assert (refused["p"], refused["name"]) == ("event", "Command refused")
    assert refused["entity_category"] == "diagnostic"
    assert refused["unique_id"] == "moodspeaker_kitchen_command_rejected" and refused["qos"] == 1
    assert refused["state_topic"] == f"{ROOT}/event/command_rejected" and "value_template" not in refused
    watcher.publish(f"{ROOT}/set_volume/set", '{"volume": "max"}')
    event = watcher.wait_for(refused["state_topic"]).json()
    assert event["event_type"] in refused["event_types"]
    assert event["command"].startswith("set_volume") and "volume" in event["error"]
