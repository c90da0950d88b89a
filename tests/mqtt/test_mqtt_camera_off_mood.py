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
