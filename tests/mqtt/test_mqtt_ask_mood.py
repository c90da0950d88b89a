"""Music of a mood asked for over MQTT (`<base>/<id>/ask_mood/set`, as the page's Tell box asks for
"play happy songs") reaches the speaker as `ask_mood`, not as a mood correction (`correct_mood`, which
the service records against the track playing and learns from).  Real Mosquitto; the speaker is the
in-memory MemorySpeaker (the `rig` fixture is in conftest.py)."""

from __future__ import annotations

from mqtt_helpers import Watcher
from speakerkit import Rig

from polling import until


def test_ask_mood_is_a_command_of_its_own(rig: Rig, watcher: Watcher) -> None:
    watcher.publish("moodspeaker/kitchen/ask_mood/set", "happy")  # a select's plain option
    watcher.publish("moodspeaker/kitchen/ask_mood/set", '{"mood": "sad"}')
    asked = [("ask_mood", "happy"), ("ask_mood", "sad")]
    until(lambda: rig.speaker.calls[-2:] == asked, what="both requests", detail=lambda: rig.speaker.calls)
    assert not [c for c in rig.speaker.calls if c[0] == "correct_mood"]
    watcher.publish("moodspeaker/kitchen/ask_mood/set", "bored")
    rejected = watcher.wait_for("moodspeaker/kitchen/event/command_rejected").json()
    assert rejected["command"] == "ask_mood" and "mood must be one of" in rejected["error"], rejected
