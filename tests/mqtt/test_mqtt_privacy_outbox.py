"""Events held for an absent broker and what the listener's privacy choices do to them: after "delete
everything", the retention, or the camera switched off, the moods read before it (and the tracks they
picked, whose reasons quote them) never reach the broker once it is back; other events still do.

The in-memory speaker behind the real bridge on a real Mosquitto, whose debug log records every
PUBLISH it receives from the speaker.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from brokerkit import Mosquitto
from speakerkit import make_rig

from moodspeaker.service.events import ErrorReported, StateChanged
from polling import until

ROOT = "moodspeaker/kitchen"


@pytest.mark.parametrize(
    ("key", "value"), [("data_deleted", True), ("data_expired", 1796500000.0), ("camera", False)]
)
def test_held_mood_events_are_dropped_by_a_deletion_or_the_camera_off(
    tmp_path: Path, key: str, value: Any
) -> None:
    broker = Mosquitto(tmp_path, extra="log_type debug")
    broker.start()
    r = make_rig(broker.port)
    r.bridge.start()
    try:
        r.wait_connected()
        broker.stop()
        until(lambda: not r.bridge.connected, what="the outage noticed")
        r.speaker.observe("sad", 0.9, -0.7, -0.3)  # read during the outage: mood_changed held
        r.speaker.start_track("t9", "Blue", "Band", "you look sad (90% sure)")  # track_started held
        r.bus.publish(ErrorReported(time.time(), "audio", "the output device is gone"))  # no mood in it
        until(lambda: r.bridge.stats()["outbox"] == 3, what="three events held", detail=r.bridge.stats)
        r.bus.publish(StateChanged(time.time(), key, value))
        until(lambda: r.bridge.stats()["outbox"] == 1, what="the mood events dropped", detail=r.bridge.stats)
        lines = broker.log.read_text().splitlines() if broker.log.exists() else []
        broker.start()
        sent = "Received PUBLISH from moodspeaker-kitchen"
        error = f"'{ROOT}/event/error'"

        def received() -> list[str]:
            return [line for line in broker.log.read_text().splitlines()[len(lines) :] if sent in line]

        until(lambda: any(error in line for line in received()), what="the error event sent after the outage")
        events = [line for line in received() if "/event/" in line]
        assert len(events) == 1 and error in events[0], events  # nothing about the mood or the track
    finally:
        r.bridge.stop()
        broker.stop()
