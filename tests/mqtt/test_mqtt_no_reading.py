"""No reading is not a reading of zero: what MQTT and Home Assistant say when the camera has read nothing.

The camera switched off ends the reading: its `mood_changed` to unknown carried confidence, valence and
arousal 0.0, numbers nobody read.  The camera on with nothing read since (a source giving no frames, a
replay that ended) left the mood topics `camera_off` after the switch, with the camera shown on, and at
start published the snapshot's nothing as a live reading (no face, confidence 0).  The end of a reading
with the camera on ("delete everything") was published as a live reading of no face (Home Assistant's
Listener present off: "listener left" automations fired) followed by a change to unknown with 0.0 numbers;
a replay that ran out left its last mood live for good.  The real Appliance
(real mood filter, recommender, player on SDL's dummy driver) behind the real bridge on a real Mosquitto;
only the camera and classifier are scripted; the discovery templates rendered as Home Assistant does.
"""

from __future__ import annotations

from typing import Any

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher, ha_render

pytestmark = pytest.mark.timeout(120)

DISCOVERY = "homeassistant/device/living-room/config"
MOOD_KEYS = ("mood", "confidence", "valence", "arousal", "face")
NUMBERS = ("confidence", "valence", "arousal")


def _status(status: str) -> Any:
    return lambda m: m.json().get("status") == status


def _mood_topics(watcher: Watcher) -> dict[str, dict[str, Any]]:
    """The last payload of each mood topic, once a volume set after it has come back (the end mark)."""
    found = {key: watcher.last(f"{ROOT}/state/{key}") for key in MOOD_KEYS}
    return {key: m.json() for key, m in found.items() if m is not None}


def _mark(watcher: Watcher, volume: float) -> None:
    """Everything the bridge handled before a volume command now has reached the watcher."""
    watcher.publish(f"{ROOT}/set_volume/set", str(volume))
    watcher.wait_for(f"{ROOT}/state/volume", lambda m: m.json()["value"] == volume, BUSY)
    watcher.sync()


def _shown_in_ha(config: dict[str, Any], payloads: dict[str, dict[str, Any]]) -> dict[str, str]:
    return {key: ha_render(config["cmps"][key]["value_template"], payloads[key]) for key in MOOD_KEYS}


def test_the_camera_switched_off_sends_no_numbers_with_its_change_to_unknown(
    tmp_path: Any, broker: Mosquitto, watcher: Watcher
) -> None:
    with bridged(tmp_path, broker, Shown("happy")):
        config = watcher.wait_for(DISCOVERY, lambda m: m.payload != b"", BUSY).json()
        watcher.wait_for(f"{ROOT}/event/mood_changed", lambda m: m.json()["mood"] == "happy", BUSY)
        watcher.publish(f"{ROOT}/set_camera/set", "OFF")  # as Home Assistant's switch sends it
        ended: Message = watcher.wait_for(
            f"{ROOT}/event/mood_changed", lambda m: m.json()["mood"] == "unknown", BUSY
        )
        watcher.wait_for(f"{ROOT}/state/face", _status("camera_off"), BUSY)
        _mark(watcher, 0.31)
        topics = _mood_topics(watcher)
    event = ended.json()
    assert (event["previous"], event["event_type"]) == ("happy", "unknown")
    assert {key: event[key] for key in NUMBERS} == dict.fromkeys(NUMBERS), event  # JSON null, not 0.0
    assert event["event_type"] in config["cmps"]["mood_changed"]["event_types"]
    assert {key: body["status"] for key, body in topics.items()} == dict.fromkeys(MOOD_KEYS, "camera_off")
    shown = _shown_in_ha(config, topics)  # renders (no template error on the nulls), HA's unknown
    assert shown == {"mood": "camera_off", **dict.fromkeys(MOOD_KEYS[1:], "None")}, shown


def test_a_camera_that_never_gives_a_frame_says_no_reading(
    tmp_path: Any, broker: Mosquitto, watcher: Watcher
) -> None:
    with bridged(tmp_path, broker, Shown(None, frames=False), player__autoplay=False):
        config = watcher.wait_for(DISCOVERY, lambda m: m.payload != b"", BUSY).json()
        _mark(watcher, 0.31)
        at_start = _mood_topics(watcher)

        watcher.publish(f"{ROOT}/set_camera/set", "OFF")
        watcher.wait_for(f"{ROOT}/state/mood", _status("camera_off"), BUSY)
        watcher.clear()
        watcher.publish(f"{ROOT}/set_camera/set", "ON")  # a fresh source: no frame from it either
        watcher.wait_for(f"{ROOT}/state/camera", lambda m: m.json()["value"] is True, BUSY)
        _mark(watcher, 0.32)
        switched_on = _mood_topics(watcher)

    for when, topics in (("at start", at_start), ("switched on", switched_on)):
        assert set(topics) == set(MOOD_KEYS), (when, topics)
        said = {key: (body["status"], body["value"]) for key, body in topics.items()}
        expected = {"mood": ("no_reading", "unknown"), **dict.fromkeys(MOOD_KEYS[1:], ("no_reading", None))}
        assert said == expected, when
        shown = _shown_in_ha(config, topics)
        assert shown == dict.fromkeys(MOOD_KEYS, "None"), (when, shown)  # all unknown in HA


def _face(m: Message) -> tuple[str, Any]:
    return m.json()["status"], m.json()["value"]


def test_delete_everything_with_the_camera_on_says_no_reading_not_no_face(
    tmp_path: Any, broker: Mosquitto, watcher: Watcher
) -> None:
    with bridged(tmp_path, broker, Shown("happy")) as (app, _bridge):
        watcher.wait_for(f"{ROOT}/event/mood_changed", lambda m: m.json()["mood"] == "happy", BUSY)
        watcher.wait_for(f"{ROOT}/state/face", lambda m: _face(m) == ("live", True), BUSY)
        watcher.clear()
        app.delete_data()  # the face is still in view: the camera reads it again at once
        ended: Message = watcher.wait_for(
            f"{ROOT}/event/mood_changed", lambda m: m.json()["mood"] == "unknown", BUSY
        )
        watcher.wait_for(f"{ROOT}/state/face", lambda m: _face(m) == ("live", True), BUSY)  # read again
        _mark(watcher, 0.31)
    faces = [_face(m) for m in watcher.on(f"{ROOT}/state/face")]
    assert faces[0] == ("no_reading", None), faces  # the reading's end: Listener present unknown
    assert ("live", False) not in faces, faces  # never "listener left"
    moods = [(m.json()["status"], m.json()["value"]) for m in watcher.on(f"{ROOT}/state/mood")]
    assert moods[0] == ("no_reading", "unknown"), moods
    event = ended.json()
    assert event["previous"] == "happy"
    assert {key: event[key] for key in NUMBERS} == dict.fromkeys(NUMBERS), event  # null, not 0.0


def test_a_replay_that_ran_out_ends_the_reading(tmp_path: Any, broker: Mosquitto, watcher: Watcher) -> None:
    """A replay of 40 frames (4 s at the kit's 0.1 s interval): read happy, then no more frames.  The
    mood fades as when a camera gives no frames (mood.no_face_timeout_s) and the reading ends."""
    shown = Shown("happy", replay=40)
    with bridged(tmp_path, broker, shown, mood__no_face_timeout_s=1.0, player__autoplay=False) as (app, _):
        watcher.wait_for(f"{ROOT}/state/mood", lambda m: m.json()["value"] == "happy", BUSY)
        watcher.clear()  # the no_reading before the first reading
        watcher.wait_for(f"{ROOT}/state/mood", _status("no_reading"), BUSY)
        _mark(watcher, 0.31)
        topics = _mood_topics(watcher)
        assert app.health.state_of("camera") == "ended"
    said = {key: (body["status"], body["value"]) for key, body in topics.items()}
    assert said == {"mood": ("no_reading", "unknown"), **dict.fromkeys(MOOD_KEYS[1:], ("no_reading", None))}


def test_the_first_reading_waits_for_a_mood(tmp_path: Any, broker: Mosquitto, watcher: Watcher) -> None:
    """The filter needs a moment (mood.min_dwell_s) before its mood is known: the readings before then
    (mood unknown, confidence, valence and arousal 0.0) are no reading of 0 %, which Home Assistant
    would keep in its long-term statistics; the mood topics stay `no_reading` until the mood is known."""
    with bridged(tmp_path, broker, Shown("happy"), player__autoplay=False):
        watcher.wait_for(f"{ROOT}/state/mood", lambda m: m.json()["value"] == "happy", BUSY)
        _mark(watcher, 0.31)
    for key in ("mood", *NUMBERS):
        said = [(m.json()["status"], m.json()["value"]) for m in watcher.on(f"{ROOT}/state/{key}")]
        first_live = next(i for i, (status, _) in enumerate(said) if status == "live")
        assert all(status == "no_reading" for status, _ in said[:first_live]), (key, said)
        assert said[first_live][1] not in ("unknown", 0.0, None), (key, said)  # the mood read, at once
