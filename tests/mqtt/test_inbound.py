"""The bridge's command side (CommandInbox) on its own: its thread survives a stop and a new start.

The speaker is the in-memory MemorySpeaker behind the real ControlAPI; no broker is needed because the
inbox is handed messages as paho's network thread would hand them.
"""

from __future__ import annotations

from typing import Any

from speakerkit import make_rig

from moodspeaker.mqtt.inbound import CommandInbox
from polling import until


def test_a_restarted_inbox_runs_commands_again() -> None:
    rig = make_rig(1)  # the bridge is never started: only its topics and the speaker are used
    counters = {"commands": 0, "rejected": 0}
    answers: list[Any] = []

    def answered(state: Any) -> None:
        answers.append(state)
        if len(answers) == 1:  # the speaker stops while the inbox is still inside a command
            inbox.stop()

    inbox = CommandInbox(rig.bridge.topics, rig.control, rig.bus, counters, answered)
    topic = f"{rig.bridge.topics.root}/set_volume/set"
    inbox.start()
    inbox.offer(topic, b"0.3", False)
    inbox.join(5.0)
    assert len(answers) == 1
    inbox.start()  # stop()'s wake-up marker is still queued: the new thread must not take it as its own
    try:
        inbox.offer(topic, b"0.45", False)
        until(lambda: len(answers) == 2, what="a command after the restart answered")
    finally:
        inbox.stop()
        inbox.join(5.0)
    assert rig.speaker.state()["volume"] == 0.45 and counters == {"commands": 2, "rejected": 0}
