"""A silent outage (the broker frozen, a Wi-Fi drop): nothing answers, the connection stays open, and the
speaker notices only after about twice the keepalive.  Everything published meanwhile went into paho's
own queue, which paho used to re-send at the reconnect ahead of `online`, whatever its age, and which,
once full, refused the reconnect's `online` and discovery for good (Home Assistant showed the speaker
unavailable while it played).  Now the bridge alone decides what goes out after the reconnect.

The freeze is brokerkit's (SIGSTOP on a real Mosquitto: the connection stays open, nothing answers); a
second one on the same port, with a debug log of every PUBLISH it receives, is the broker the speaker
finds again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained
from speakerkit import make_rig

from moodspeaker.mqtt import client
from polling import until

ROOT = "moodspeaker/kitchen"
SPEAKER = "Received PUBLISH from moodspeaker-kitchen"


def _received(broker: Mosquitto) -> list[str]:
    """The PUBLISH packets the broker received from the speaker, in order (its debug log)."""
    return [line.split(SPEAKER, 1)[1] for line in broker.log.read_text().splitlines() if SPEAKER in line]


def test_after_a_silent_outage_the_bridge_alone_decides_what_goes_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "EVENT_MAX_AGE_S", 0.0)  # every event kept over the outage is too old
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first = Mosquitto(tmp_path / "first")
    first.start()
    second = Mosquitto(tmp_path / "second", extra="log_type debug", port=first.port)
    r = make_rig(first.port, mqtt__keepalive_s=5, mqtt__outbox_size=10)  # paho's queue: 110 messages
    watcher = Watcher(first.port, (f"{ROOT}/stats",)).start()
    r.bridge.start()
    try:
        watcher.wait_for(f"{ROOT}/stats")  # the first announcement is through
        watcher.stop()
        first.freeze()  # nothing is acknowledged from now on
        for mood in ("happy", "sad", "angry"):
            r.speaker.observe(mood, 0.8, 0.1, 0.1)  # three mood_changed events into the dead link
        readings = [0]

        def pressed() -> bool:
            """A reading per frame, each changing confidence, valence and arousal, until paho refuses;
            a batch once the bridge took the last (its bounded work queue would drop some)."""
            if not r.bridge._work.empty():
                return False
            for _ in range(50):
                readings[0] += 1
                x = readings[0] / 100000
                r.speaker.observe("angry", 0.5 + x, 0.2 + x, 0.1 + x)  # the same mood: no event
            return r.bridge.stats().get("refused", 0) > 0 or not r.bridge.connected

        until(pressed, 60, what="paho's queue full (or the outage noticed)", interval=0.05)
        r.speaker.set_volume(0.77)  # a change paho refuses (or, once noticed, kept for the reconnect)
        until(lambda: not r.bridge.connected, 60, what="the outage noticed", detail=r.bridge.stats)
        first.kill()  # gone for good, still frozen; another broker takes its port
        second.start()
        r.wait_connected(60)
        x = readings[0] / 100000

        def announced() -> dict[str, bytes] | None:
            found = retained(second.port, "#")
            values = {k: json.loads(found[f"{ROOT}/state/{k}"])["value"] for k in ("volume", "confidence")
                      if f"{ROOT}/state/{k}" in found}  # fmt: skip
            return found if values == {"volume": 0.77, "confidence": round(0.5 + x, 3)} else None

        found = until(announced, 60, what="the latest state on the new broker", detail=r.bridge.stats)
        assert found[f"{ROOT}/availability"] == b"online"
        assert "homeassistant/device/kitchen/config" in found
        assert json.loads(found[f"{ROOT}/state/mood"])["value"] == "angry"
        until(lambda: r.bridge.stats()["outbox"] == 0, what="the kept events handled", detail=r.bridge.stats)
        assert r.bridge.stats()["expired"] == 3  # the three mood changes: too old, not sent
        received = _received(second)
        assert f"'{ROOT}/availability'" in received[0], received[:5]  # online first, nothing stale before it
        assert not [p for p in received if "/event/" in p], received  # no mood change from the outage
        assert not [p for p in received if p.startswith(" (d1")], received  # no re-send of paho's own
    finally:
        r.bridge.stop()
        first.stop()  # thawed first, if it still runs
        second.stop()


def test_what_paho_refused_goes_out_once_the_broker_answers_again(tmp_path: Path) -> None:
    """The broker stalls long enough for paho's queue to fill, then answers again before the keepalive
    gives up on it (10 minutes here): what paho refused meanwhile goes out then, without a reconnect."""
    broker = Mosquitto(tmp_path)
    broker.start()
    r = make_rig(broker.port, mqtt__keepalive_s=600, mqtt__outbox_size=10)  # paho's queue: 110 messages
    r.bridge.start()
    try:
        r.wait_connected()
        until(lambda: r.bridge.stats()["published"] >= 15, what="the first announcement")
        broker.freeze()
        readings = [0]

        def pressed() -> bool:
            if not r.bridge._work.empty():
                return False
            for _ in range(50):
                readings[0] += 1
                x = readings[0] / 100000
                r.speaker.observe("happy", 0.5 + x, 0.2 + x, 0.1 + x)
            return bool(r.bridge.stats()["refused"] > 0)

        until(pressed, 60, what="paho refusing publishes", interval=0.05)
        r.speaker.set_volume(0.66)  # refused as well: paho's queue is full
        until(lambda: r.bridge._state.last["volume"]["value"] == 0.66, what="the volume handled (refused)")
        broker.thaw()

        def volume() -> Any:
            found = retained(broker.port, f"{ROOT}/state/volume").get(f"{ROOT}/state/volume")
            return found and json.loads(found)["value"] == 0.66

        until(volume, what="the refused volume sent", detail=r.bridge.stats)
        assert r.bridge.stats()["connects"] == 1  # no reconnect did it
    finally:
        r.bridge.stop()
        broker.stop()  # thawed first
