"""Retained commands on a running speaker, against a real Mosquitto: clearing one the usual way (an
empty retained payload on its topic) is never taken for a command.

MQTT 3.1.1 tells a subscriber that a message is retained only when it subscribes: a retained command
published to a running speaker reaches it as a live one (the broker clears the flag) and runs once,
and the empty retained message that deletes it from the broker reaches it live too.  A zero-length
payload is how MQTT clears a retained message, so it is never a command (nor a rejection).
"""

from __future__ import annotations

from mqtt_helpers import Watcher
from speakerkit import Rig, value

ROOT = "moodspeaker/kitchen"


def _settled(rig: Rig, watcher: Watcher, volume: float) -> None:
    """Commands run in order on one thread: once a later set_volume shows, the ones before it ran."""
    watcher.publish(f"{ROOT}/set_volume/set", str(volume))
    watcher.wait_for(f"{ROOT}/state/volume", lambda m: value(m) == volume)


def test_clearing_a_retained_command_runs_nothing(rig: Rig, watcher: Watcher) -> None:
    watcher.publish(f"{ROOT}/next/set", "PRESS", retain=True)  # reaches the live speaker: runs once
    _settled(rig, watcher, 0.3)
    assert [c for c in rig.speaker.calls if c[0] == "next"] == [("next", None)]
    watcher.publish(f"{ROOT}/next/set", b"", retain=True)  # the usual clear: no second press
    watcher.publish("moodspeaker/all/next/set", b"", retain=True)  # the group topic's too
    _settled(rig, watcher, 0.2)
    assert [c for c in rig.speaker.calls if c[0] == "next"] == [("next", None)]
    assert not watcher.on(f"{ROOT}/event/command_rejected")  # ignored, not refused: nothing to answer


def test_an_empty_payload_is_no_press(rig: Rig, watcher: Watcher) -> None:
    for name in ("play", "pause", "next", "like", "dislike", "replay", "rescan", "ask_mood"):
        watcher.publish(f"{ROOT}/{name}/set", b"")
    _settled(rig, watcher, 0.3)
    assert rig.speaker.calls == [("volume", 0.3)]
    assert not watcher.on(f"{ROOT}/event/command_rejected")
