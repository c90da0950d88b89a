"""The bridge driving the real Appliance (real mood filter, recommender on SQLite, pygame player on SDL's
dummy driver) through ControlAPI, against a real Mosquitto.  Only the camera/classifier is scripted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from appliancekit import Shown, appliance_config, build_appliance
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher, retained

from moodspeaker.mqtt import MqttBridge
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import CommandRejected, Event
from polling import until

#: Seconds to wait for a message: generous, because CI machines are busy (a pass is usually ~1 s).
BUSY = 30.0
#: Seconds to wait for the appliance's own steps (connected, a track, the next track, discovery):
#: as generous, only a failing test waits that long.
SOON = 30.0


@dataclass
class Running:
    app: Any
    shown: Shown
    bridge: MqttBridge
    events: list[Event]


@pytest.fixture
def shown() -> Shown:
    return Shown("neutral")


@pytest.fixture
def running(tmp_path: Path, broker: Mosquitto, shown: Shown) -> Iterator[Running]:
    config = appliance_config(tmp_path, broker.port, device__id="Living Room")
    app, bus = build_appliance(tmp_path, config, shown)
    events: list[Event] = []
    bus.subscribe(events.append)
    control = ControlAPI(app, bus)
    bridge = MqttBridge(config, control, bus, web_url="http://speaker.local:8080/")
    app.start()
    bridge.start()
    until(lambda: bridge.connected, SOON, what="bridge connected")
    yield Running(app, shown, bridge, events)
    bridge.stop()
    app.stop()


def value(m: Message) -> Any:
    return m.json()["value"]


# Nobody in view until the test shows a happy face: with a neutral face from the start, the neutral
# mood could be read (and its calm track started) before the happy one, depending on machine load.
@pytest.mark.parametrize("shown", [Shown(None)])
def test_mood_flip_reaches_mqtt_with_the_music_it_chose(running: Running, watcher: Watcher) -> None:
    assert running.bridge.device_id == "living-room"
    assert running.app.state()["now_playing"] is None
    running.shown.mood = "happy"
    changed = watcher.wait_for(
        "moodspeaker/living-room/event/mood_changed", lambda m: m.json()["mood"] == "happy", BUSY
    )
    assert changed.json()["event_type"] == "happy"
    watcher.wait_for("moodspeaker/living-room/state/mood", lambda m: value(m) == "happy", BUSY)
    playing = watcher.wait_for("moodspeaker/living-room/state/now_playing", lambda m: bool(value(m)), BUSY)
    assert value(playing)["track_id"] in {"happy1", "happy2"} and value(playing)["reason"]
    started = watcher.wait_for("moodspeaker/living-room/event/track_started", timeout=BUSY)
    assert started.json()["reason"]
    watcher.wait_for("moodspeaker/living-room/state/playing", lambda m: value(m) is True, BUSY)
    seen = watcher.wait_for("moodspeaker/living-room/state/face", lambda m: value(m) is True, BUSY)
    running.shown.mood = None  # listener leaves: face topic follows
    watcher.wait(
        lambda msgs: any(
            m.topic == "moodspeaker/living-room/state/face" and value(m) is False
            for m in msgs[next(i for i, m in enumerate(msgs) if m is seen) + 1 :]
        ),
        BUSY,
    )


def test_commands_over_mqtt_change_the_appliance(running: Running, watcher: Watcher) -> None:
    app = running.app
    root = "moodspeaker/living-room"
    watcher.publish(f"{root}/set_volume/set", '{"volume": 0.3}')
    watcher.wait_for(f"{root}/state/volume", lambda m: value(m) == 0.3)
    assert app.state()["volume"] == pytest.approx(0.3)
    watcher.publish(f"{root}/set_strategy/set", '{"strategy": "steady"}')
    watcher.wait_for(f"{root}/state/strategy", lambda m: value(m) == "steady")
    watcher.publish(f"{root}/set_profile/set", '{"profile": "alex"}')
    watcher.wait_for(f"{root}/state/profile", lambda m: value(m) == "alex")
    # the strategy follows the listener: alex never chose one, so the household default (match)
    watcher.wait(
        lambda msgs: [value(m) for m in msgs if m.topic == f"{root}/state/strategy"][-1:] == ["match"]
    )
    assert app.state()["profile"] == "alex" and app.state()["strategy"] == "match"
    watcher.publish(f"{root}/play/set", "PRESS")
    watcher.wait_for(f"{root}/state/playing", lambda m: value(m) is True)
    first = until(lambda: app.state()["now_playing"], SOON, what="a track")["track_id"]
    watcher.publish(f"{root}/next/set", "{}")
    until(
        lambda: (app.state()["now_playing"] or {}).get("track_id") not in {None, first},
        SOON,
        what="next track",
    )
    watcher.wait_for(f"{root}/state/now_playing", lambda m: bool(value(m)) and value(m)["track_id"] != first)
    watcher.publish(f"{root}/pause/set", "PRESS")
    watcher.wait_for(f"{root}/state/playing", lambda m: value(m) is False)
    assert not watcher.on(f"{root}/event/command_rejected")


def test_camera_off_over_mqtt_blanks_the_mood_topics(running: Running, watcher: Watcher) -> None:
    root = "moodspeaker/living-room"
    running.shown.mood = "sad"
    watcher.wait_for(f"{root}/state/mood", lambda m: value(m) == "sad")
    watcher.publish(f"{root}/set_camera/set", '{"enabled":false}')  # what HA's switch sends
    watcher.wait_for(f"{root}/state/camera", lambda m: value(m) is False)
    mood = watcher.wait_for(f"{root}/state/mood", lambda m: m.json()["status"] == "camera_off")
    assert value(mood) == "unknown"
    assert running.app.state()["camera"] is False
    time.sleep(0.5)  # no stale reading comes back while the camera is off
    last = watcher.last(f"{root}/state/mood")
    assert last is not None and last.json()["status"] == "camera_off"
    # the mood went out blank first: wait for the confidence too before reading what the broker kept
    watcher.wait_for(f"{root}/state/confidence", lambda m: m.json()["status"] == "camera_off")
    found = retained(watcher.port, f"{root}/state/#")
    assert json.loads(found[f"{root}/state/confidence"])["value"] is None


def test_bad_commands_leave_the_appliance_unchanged(running: Running, watcher: Watcher) -> None:
    root = "moodspeaker/living-room"
    watcher.wait_for(f"{root}/stats")  # the announcement is through: the appliance is up and settled
    before = {k: running.app.state()[k] for k in ("volume", "strategy", "profile", "camera")}
    bad = [
        ("set_volume", b'{"volume": "max"}'),
        ("set_profile", b'{"profile": "nobody"}'),
        ("set_camera", b"{not json"),
        ("launch", b"{}"),
        ("like", b"x" * 100_000),
    ]
    for name, raw in bad:
        watcher.publish(f"{root}/{name}/set", raw)
    watcher.wait(lambda ms: len([m for m in ms if m.topic == f"{root}/event/command_rejected"]) == len(bad))
    watcher.clear()
    assert len([e for e in running.events if isinstance(e, CommandRejected)]) == len(bad)
    assert {k: running.app.state()[k] for k in before} == before


def test_discovery_lists_the_real_profiles_and_page(running: Running, broker: Mosquitto) -> None:
    config = until(lambda: retained(broker.port, "homeassistant/#").get(
        "homeassistant/device/living-room/config"), SOON, what="discovery")  # fmt: skip
    body = json.loads(config)
    assert set(body["cmps"]["profile"]["options"]) == {"default", "alex"}
    assert body["dev"]["configuration_url"] == "http://speaker.local:8080/"


@pytest.mark.parametrize("shown", [Shown(None)])  # nobody there: no mood, nothing starts playing
def test_a_command_the_appliance_refuses_is_answered(running: Running, watcher: Watcher) -> None:
    root = "moodspeaker/living-room"
    time.sleep(0.5)
    assert running.app.state()["now_playing"] is None
    watcher.publish(f"{root}/like/set", "PRESS")
    refused = watcher.wait_for(f"{root}/event/command_rejected")
    assert refused.json()["error"] == "like: nothing is playing"
    assert [e.error for e in running.events if isinstance(e, CommandRejected)] == ["like: nothing is playing"]
