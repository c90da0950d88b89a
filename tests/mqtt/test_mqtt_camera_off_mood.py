"""With the camera off (privacy), a mood change (a correction from Home Assistant or the page) must not
make the retained mood topic say `live` with a mood: it stays `camera_off`, as TOPICS.md promises.

The in-memory speaker behind the real bridge on a real Mosquitto (the `rig` and `watcher` fixtures).
"""

from __future__ import annotations

import time

from mqtt_helpers import Watcher
from speakerkit import Rig, value

from moodspeaker.service.events import MoodChanged

ROOT = "moodspeaker/kitchen"


def test_a_mood_change_with_the_camera_off_keeps_the_mood_camera_off(rig: Rig, watcher: Watcher) -> None:
    rig.speaker.set_camera(False)
    watcher.wait_for(f"{ROOT}/state/mood", lambda m: m.json()["status"] == "camera_off")
    watcher.clear()
    rig.bus.publish(MoodChanged(time.time(), "happy", "unknown", 1.0, 0.8, 0.4))  # correct_mood's event
    rig.speaker.set_volume(0.31)  # handled after it: marks the end
    watcher.wait_for(f"{ROOT}/state/volume", lambda m: value(m) == 0.31)
    moods = [(m.json()["status"], value(m)) for m in watcher.on(f"{ROOT}/state/mood")]
    assert all(status == "camera_off" for status, _ in moods), moods
    assert watcher.on(f"{ROOT}/event/mood_changed")  # the correction itself is still an event


def test_switched_back_on_the_mood_topics_wait_for_the_first_reading(rig: Rig, watcher: Watcher) -> None:
    """The state at the switch holds nothing read yet (no face, confidence 0): published as live it
    showed the listener gone, and Home Assistant's "Listener present" went off, then on with the first
    reading a moment later, firing "listener left" automations for nothing.  Until the first reading
    the mood topics say `no_reading` (all null: HA's unknown), not `camera_off` with the camera on."""
    rig.speaker.set_camera(False)
    watcher.wait_for(f"{ROOT}/state/face", lambda m: m.json()["status"] == "camera_off")
    rig.speaker.s.update(mood="unknown", confidence=0.0, valence=0.0, arousal=0.0, face=False)
    watcher.clear()
    rig.speaker.set_camera(True)
    rig.speaker.set_volume(0.32)  # handled after the switch: marks the end of its snapshot
    watcher.wait_for(f"{ROOT}/state/volume", lambda m: value(m) == 0.32)
    watcher.wait_for(f"{ROOT}/state/camera", lambda m: value(m) is True)
    mood_topics = [f"{ROOT}/state/{key}" for key in ("mood", "confidence", "valence", "arousal", "face")]
    said = {m.topic: (m.json()["status"], value(m)) for m in watcher.messages if m.topic in mood_topics}
    nothing = ("no_reading", None)
    assert said == {**dict.fromkeys(mood_topics, nothing), f"{ROOT}/state/mood": ("no_reading", "unknown")}

    rig.speaker.observe("happy", 0.8, 0.7, 0.5)  # the first reading: live from now on
    watcher.wait_for(f"{ROOT}/state/face", lambda m: m.json()["status"] == "live" and value(m) is True)
    faces = [(m.json()["status"], value(m)) for m in watcher.on(f"{ROOT}/state/face")]
    assert faces == [nothing, ("live", True)], faces
    rig.speaker.set_volume(0.33)  # a snapshot after the reading publishes the mood topics again
    rig.speaker.s.update(face=False)
    rig.speaker.set_volume(0.34)
    watcher.wait_for(f"{ROOT}/state/face", lambda m: m.json()["status"] == "live" and value(m) is False)
