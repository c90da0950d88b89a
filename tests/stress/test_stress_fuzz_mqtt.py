"""Fuzzing the MQTT command surface: any topic, any payload, through the bridge into the real ControlAPI.

Only one appliance lives at a time in a test process: pygame's mixer is process-global, so each
fuzz module that needs one has its own module-scoped appliance.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fuzzkit import arg_names, fuzz, json_value, names, valid_state
from hypothesis import given
from hypothesis import strategies as st
from stresskit import Recorder, ScriptedFace, appliance, free_port

from moodspeaker.config import with_changes
from moodspeaker.mqtt import MqttBridge
from moodspeaker.mqtt.inbound import CommandInbox
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import CommandRejected

# --- MQTT ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mqtt_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, ...]]:
    tmp = tmp_path_factory.mktemp("mqtt-fuzz")
    face = ScriptedFace("happy")
    app, bus, cfg = appliance(tmp, face)
    app.start()
    control = ControlAPI(app, bus)
    cfg = with_changes(cfg, {"mqtt.enabled": True, "mqtt.host": "127.0.0.1", "mqtt.port": free_port()})
    topics = MqttBridge(cfg, control, bus, "fuzz").topics  # the bridge's own topic layout
    counters = {"commands": 0, "rejected": 0}
    answers: list[Any] = []
    # the bridge's command side, not started: payloads are handed to it directly on this thread
    inbox = CommandInbox(topics, control, bus, counters, answers.append)
    yield app, bus, topics, inbox, counters
    app.stop()


mqtt_payloads = (
    st.binary(max_size=64)
    | json_value.map(lambda v: json.dumps(v, allow_nan=True).encode())
    | st.dictionaries(arg_names, json_value, max_size=3).map(lambda d: json.dumps(d).encode())
    | st.sampled_from([b"[" * 5000, b'{"volume": 1e999}', b"NaN", b'"\xff"', b"x" * 5000, b"0.4", b"true"])
)


@fuzz(250)
@given(name=names, payload=mqtt_payloads, retained=st.booleans(), group=st.booleans())
def test_mqtt_command_payloads(
    mqtt_rig: tuple[Any, ...], name: str, payload: bytes, retained: bool, group: bool
) -> None:
    app, bus, topics, inbox, counters = mqtt_rig
    root = topics.group_root if group else topics.root
    topic = f"{root}/{name}/set"
    rec = Recorder(bus)
    before = dict(counters)
    try:
        inbox.handle(topic, payload, retained)
    finally:
        rec.stop()
    rejected = [e for e in rec.of("command_rejected") if isinstance(e, CommandRejected)]
    for event in rejected:
        assert event.error.strip(), "a rejection must say why"
        assert "failed inside the speaker" not in event.error, (
            f"speaker bug on {topic} {payload!r}: {event.error}"
        )
    if topics.command_of(topic) is None:
        assert not rejected
    elif not payload:  # how MQTT clears a retained message: no command, nothing answered (ac8cb34)
        assert not rejected and counters == before
    else:
        assert counters["commands"] == before["commands"] + 1
        got_rejected = counters["rejected"] - before["rejected"]
        assert got_rejected == len(rejected) <= 1
        if retained:
            assert got_rejected == 1
    valid_state(app.state(), app.profiles())
