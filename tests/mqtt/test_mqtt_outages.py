"""The bridge when the broker is not there: restarted (state re-announced), absent at start (bounded
outbox, found later), shared by two speakers with one device id, and events too old to replay.

The speaker here is the in-memory MemorySpeaker (the `rig` fixture is in conftest.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from brokerkit import Mosquitto, free_port
from mqtt_helpers import Watcher, retained
from speakerkit import Rig, make_rig

from moodspeaker.mqtt.topics import STATE_KEYS
from moodspeaker.service.events import MoodChanged
from polling import until


def test_broker_restart_loses_no_state_and_reannounces(rig: Rig, broker: Mosquitto) -> None:
    watcher = Watcher(broker.port).start()
    watcher.wait_for("moodspeaker/kitchen/state/volume")
    watcher.stop()
    broker.stop()  # no persistence: every retained message on the broker is gone
    until(
        lambda: not rig.bridge.connected, what="the bridge to notice the broker gone", detail=rig.bridge.stats
    )
    rig.speaker.set_volume(0.33)  # changes while the broker is away
    rig.speaker.observe("sad", 0.7, -0.6, -0.3)
    # the mood_changed event waits in the outbox
    until(lambda: rig.bridge.stats()["outbox"] >= 1, what="an event in the outbox", detail=rig.bridge.stats)
    broker.start()
    rig.wait_connected()

    def reannounced() -> dict[str, bytes] | None:
        found = retained(broker.port, "#")
        complete = "homeassistant/device/kitchen/config" in found and len(found) >= len(STATE_KEYS) + 2
        return found if complete else None

    found = until(reannounced, what="the whole state re-announced", detail=lambda: retained(broker.port, "#"))
    assert found["moodspeaker/kitchen/availability"] == b"online"
    assert "homeassistant/device/kitchen/config" in found
    assert json.loads(found["moodspeaker/kitchen/state/volume"])["value"] == 0.33
    assert json.loads(found["moodspeaker/kitchen/state/mood"])["value"] == "sad"
    until(lambda: rig.bridge.stats()["outbox"] == 0, what="the outbox flushed", detail=rig.bridge.stats)
    assert rig.bridge.stats()["connects"] == 2


def test_no_broker_never_blocks_and_the_outbox_stays_bounded(tmp_path: Path) -> None:
    port = free_port()
    r = make_rig(port, mqtt__outbox_size=10)
    started = time.monotonic()
    r.bridge.start()
    for i in range(500):
        r.bus.publish(MoodChanged(time.time(), "happy" if i % 2 else "sad", "neutral", 0.8, 0.5, 0.1))
    r.speaker.set_volume(0.45)
    # Nothing waited for the absent broker: it never came during those 500 events, so a bridge waiting
    # for it would hang here (the test's timeout); the bound only catches one that waits a while per
    # event (>= 40 ms each), generous because a loaded CI machine can stall a healthy one for seconds.
    assert time.monotonic() - started < 20.0
    until(lambda: r.bridge.stats()["dropped"] >= 490, what="490 events dropped", detail=r.bridge.stats)
    stats = r.bridge.stats()
    assert stats["outbox"] == 10 and stats["dropped"] == 490 and not stats["connected"]
    assert "cannot connect" in stats["last_error"] or stats["last_error"] == ""
    late = Mosquitto(tmp_path, port=port)  # the broker appears later: the bridge finds it by itself
    late.start()
    try:
        r.wait_connected()
        volume = until(
            lambda: retained(port, "moodspeaker/#").get("moodspeaker/kitchen/state/volume"),
            what="the volume announced to the late broker",
        )
        assert json.loads(volume)["value"] == 0.45
        until(lambda: r.bridge.stats()["outbox"] == 0, what="the outbox flushed", detail=r.bridge.stats)
    finally:
        r.bridge.stop()
        late.stop()


def test_two_speakers_with_the_same_device_id_are_reported(broker: Mosquitto) -> None:
    """Same id, same client id: the broker throws each out when the other connects; say so clearly."""
    first, second = make_rig(broker.port, "twin"), make_rig(broker.port, "twin")
    first.bridge.start()
    second.bridge.start()
    try:
        until(
            lambda: (
                "same device id" in first.bridge.stats()["last_error"] + second.bridge.stats()["last_error"]
            ),
            60,
            what="'same device id' reported",
            detail=lambda: (first.bridge.stats(), second.bridge.stats()),
        )
    finally:
        first.bridge.stop()
        second.bridge.stop()


def test_stale_events_are_not_replayed_after_an_outage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mood change from long ago must not fire a home automation now; the state is still re-sent."""
    from moodspeaker.mqtt import client  # noqa: PLC0415

    monkeypatch.setattr(client, "EVENT_MAX_AGE_S", 0.5)
    port = free_port()
    r = make_rig(port)
    r.bridge.start()
    try:
        for mood in ("happy", "sad", "angry"):
            r.speaker.observe(mood, 0.8, 0.1, 0.1)
        until(lambda: r.bridge.stats()["outbox"] >= 3, what="3 events in the outbox", detail=r.bridge.stats)
        time.sleep(0.6)  # older than EVENT_MAX_AGE_S (a slower machine only makes them older)
        late = Mosquitto(tmp_path, port=port)
        late.start()
        try:
            r.wait_connected()
            until(lambda: r.bridge.stats()["expired"] >= 3, what="3 events expired", detail=r.bridge.stats)
            stats = r.bridge.stats()
            assert stats["expired"] == 3 and stats["outbox"] == 0
            kept = until(
                lambda: retained(port, "moodspeaker/#").get("moodspeaker/kitchen/state/mood"),
                what="the mood re-sent",
            )
            assert json.loads(kept)["value"] == "angry"
        finally:
            r.bridge.stop()
            late.stop()
    finally:
        r.bridge.stop()


def test_a_hung_broker_is_not_reported_as_a_certificate_problem(broker: Mosquitto) -> None:
    """A broker that takes the TCP connection and never answers (frozen) ends each attempt by the
    keepalive; last_error must say that, not ask about TLS client certificates."""
    r = make_rig(broker.port, mqtt__keepalive_s=5)
    with broker.frozen():
        r.bridge.start()
        try:
            error = until(lambda: r.bridge.stats()["last_error"], 60, what="the failed attempt reported")
            assert "never answered" in error and "certificate" not in error, error
        finally:
            r.bridge.stop()
