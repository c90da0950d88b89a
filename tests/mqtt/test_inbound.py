"""The bridge's command side (CommandInbox) on its own: its thread survives a stop and a new start, and
every way it refuses a command answers in the same shape.

The speaker is the in-memory MemorySpeaker behind the real ControlAPI; no broker is needed because the
inbox is handed messages as paho's network thread would hand them.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from speakerkit import make_rig

from moodspeaker.mqtt.inbound import COMMAND_QUEUE_SIZE, CommandInbox
from moodspeaker.mqtt.payloads import MAX_PUBLISH_BYTES, encode, event_payload
from moodspeaker.service.events import CommandRejected
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
    inbox.join(30.0)  # generous: a loaded machine may take a while to run the command
    assert len(answers) == 1
    inbox.start()  # stop()'s wake-up marker is still queued: the new thread must not take it as its own
    try:
        inbox.offer(topic, b"0.45", False)
        until(lambda: len(answers) == 2, what="a command after the restart answered")
    finally:
        inbox.stop()
        inbox.join(30.0)
    assert rig.speaker.state()["volume"] == 0.45 and counters == {"commands": 2, "rejected": 0}


#: A topic level may be 65535 bytes long; an answer echoing all of this would be over the publish limit.
LONG = "x" * (MAX_PUBLISH_BYTES + 1000)


def test_every_rejection_cuts_the_echoed_name_and_says_why_once(caplog: pytest.LogCaptureFixture) -> None:
    rig = make_rig(1)  # the bridge is never started: only its topics and the speaker are used
    topics = rig.bridge.topics
    counters = {"commands": 0, "rejected": 0}
    # not started: handle() runs on this thread and offer() only queues, so the queue can be filled
    inbox = CommandInbox(topics, rig.control, rig.bus, counters, lambda state: None)
    long_topic, group_topic = f"{topics.root}/{LONG}/set", f"{topics.group_root}/{LONG}/set"
    rig.speaker.broken = True
    cases: list[tuple[str, str, str, str]] = []  # (topic, echoed command, source, reason) per rejection
    with caplog.at_level(logging.INFO, logger="moodspeaker.mqtt.inbound"):
        inbox.handle(long_topic, b"{not json", False)
        cases.append((long_topic, LONG[:100], "mqtt", "not valid JSON"))
        inbox.handle(long_topic, b"{}", True)
        cases.append((long_topic, LONG[:100], "mqtt", "retained"))
        inbox.handle(group_topic, b"{}", False)  # valid JSON: the name alone is wrong
        cases.append((group_topic, LONG[:100], "mqtt-group", "unknown command"))
        for _ in range(COMMAND_QUEUE_SIZE):
            inbox.offer(topics.command("play"), b"PRESS", False)
        inbox.offer(group_topic, b"{}", False)
        cases.append((group_topic, LONG[:100], "mqtt-group", "too many commands"))
        inbox.handle(topics.command("rescan"), b"PRESS", False)  # a known name, so only the speaker fails
        cases.append((topics.command("rescan"), "rescan", "mqtt", "failed inside the speaker"))
    answers = [e for e in rig.events if isinstance(e, CommandRejected)]
    logged = [r for r in caplog.records if r.name == "moodspeaker.mqtt.inbound"]
    assert len(answers) == len(logged) == len(cases) == counters["rejected"], [a.error[:150] for a in answers]
    for answer, record, (topic, command, source, reason) in zip(answers, logged, cases, strict=True):
        assert (answer.command, answer.source) == (command, source)
        assert answer.error.startswith(f"{command}: ") and reason in answer.error, answer.error[:200]
        assert len(answer.error) <= 500
        assert len(encode(event_payload(answer), answer.kind)) < MAX_PUBLISH_BYTES  # the bridge can send it
        message = record.getMessage()
        assert topic[:60] in message and reason in message and len(message) < 2000, message[:200]
