"""The broker connection at its edges: a stop while the broker is behind or the worker still runs, and
a refusal that paho lifts before the connection has noted it.  Each forces an interleaving of paho's
network thread and the bridge's threads on a real Mosquitto (frozen, SIGSTOP: the connection stays
open, nothing is answered; Mosquitto.frozen() lets it go on again also when a test fails)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained
from speakerkit import make_rig

from polling import until

ROOT = "moodspeaker/kitchen"
AVAILABILITY = f"{ROOT}/availability"
SPEAKER = "Received PUBLISH from moodspeaker-kitchen"


def _fill_paho_queue(conn_client: mqtt.Client, limit: int) -> None:
    """Fill paho's queue of unacknowledged messages to its cap, past the bridge's ledger (the broker
    is frozen: nothing is acknowledged), so that paho refuses the next publish."""
    for i in range(limit):
        info = conn_client.publish(f"{ROOT}/filler", str(i), qos=1)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            return
    raise AssertionError(f"paho took {limit} messages without refusing one")


def test_a_stop_while_paho_refuses_still_leaves_the_speaker_offline(broker: Mosquitto) -> None:
    """paho's queue full (the broker behind) at a stop: `offline` is refused, and the will must say it
    instead: a DISCONNECT after the refusal would make the broker discard the will and keep `online`
    for good.  (It held before only by a race in Mosquitto: resumed, it failed a PUBACK to the closed
    socket before it read the DISCONNECT.)  Now no DISCONNECT is sent then; the connection is cut."""
    ha = Watcher(broker.port, (AVAILABILITY,)).start()
    r = make_rig(broker.port, mqtt__keepalive_s=600, mqtt__outbox_size=10)  # paho's queue: 110
    r.bridge.start()
    try:
        ha.wait_for(AVAILABILITY, lambda m: m.payload == b"online")
        until(lambda: r.bridge.stats()["published"] >= 15, what="the first announcement")
        with broker.frozen():
            _fill_paho_queue(r.bridge._conn._client, 1000)
            r.bridge.stop(timeout=1.0)  # offline refused at once: paho's queue is full
        ha.wait_for(AVAILABILITY, lambda m: m.payload == b"offline", 60)
        assert retained(broker.port, AVAILABILITY)[AVAILABILITY] == b"offline"
    finally:
        ha.stop()


def test_offline_is_the_last_message_even_when_the_worker_outlives_the_stop(tmp_path: Path) -> None:
    """The bridge's worker, held in a slow state read, outlives stop()'s join: what it published
    afterwards went out after `offline` (a state of a speaker said to be stopped; after forget's
    clearing messages, a retained topic made again).  Now a stopping connection keeps it back."""
    broker = Mosquitto(tmp_path, extra="log_type debug")
    broker.start()
    r = make_rig(broker.port, mqtt__keepalive_s=600)
    r.bridge.start()
    gate = threading.Event()
    try:
        r.wait_connected()
        until(lambda: r.bridge.stats()["published"] >= 15, what="the first announcement")
        worker = r.bridge._thread
        assert worker is not None
        r.speaker.gate = gate
        r.speaker.set_volume(0.31)  # the worker reads the state after it: held at the gate
        assert r.speaker.reading.wait(30)
        stopper = threading.Thread(target=r.bridge.stop, kwargs={"timeout": 5.0})
        with broker.frozen():  # offline is not acknowledged before the worker goes on
            published = r.bridge._conn.counters["published"]
            stopper.start()
            until(lambda: r.bridge._conn.counters["published"] > published, what="offline handed to paho")
            gate.set()
            worker.join(30)
            assert not worker.is_alive()
        stopper.join(60)
        assert not stopper.is_alive()
        lines = [line for line in broker.log.read_text().splitlines() if SPEAKER in line]
        last = lines[-1]
        assert f"'{AVAILABILITY}'" in last, lines[-3:]  # nothing after offline
    finally:
        gate.set()
        broker.stop()


def test_a_refusal_lifted_before_it_is_noted_is_still_sent(
    broker: Mosquitto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """paho refuses a publish (its queue full), and before the connection notes that something is
    owed, every acknowledgement arrives (the network thread ran in between): none of them asked the
    worker to flush, so the refused value waited for the next publish, an hour away on an idle speaker.
    The interleaving is forced: the refused publish returns only once paho's queue has emptied."""
    r = make_rig(broker.port, mqtt__keepalive_s=600, mqtt__outbox_size=10, mqtt__stats_interval_s=3600)
    r.bridge.start()
    paho = r.bridge._conn._client
    real_publish = paho.publish
    lifted = threading.Event()

    def publish(topic: str, payload: Any = None, qos: int = 0, retain: bool = False) -> mqtt.MQTTMessageInfo:
        info = real_publish(topic, payload, qos=qos, retain=retain)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE and topic == f"{ROOT}/state/volume" and not lifted.is_set():
            lifted.set()
            broker.thaw()
            until(lambda: not paho._out_messages, 60, what="every message acknowledged")
        return info

    try:
        r.wait_connected()
        until(lambda: r.bridge.stats()["published"] >= 15, what="the first announcement")
        until(lambda: not paho._out_messages, what="the announcement acknowledged")
        with broker.frozen():  # until the publish below lifts it
            _fill_paho_queue(paho, 1000)
            monkeypatch.setattr(paho, "publish", publish)
            r.speaker.set_volume(0.42)  # refused; paho has room again before the refusal is noted
            assert lifted.wait(60)

        def volume() -> bool:
            found = retained(broker.port, f"{ROOT}/state/volume").get(f"{ROOT}/state/volume")
            return found is not None and b'"value":0.42' in found

        until(volume, 60, what="the refused volume sent", detail=r.bridge.stats)
    finally:
        r.bridge.stop()


def test_a_broker_refusing_every_attempt_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A wrong password: the broker refuses every attempt, one a reconnect_max_s (60 s by default) for
    as long as the speaker runs, and each was logged at ERROR (1440 a day).  Now the first is, and
    the repeats of the same refusal at DEBUG; last_error still says it."""
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd is not installed")
    pw = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(pw), "speaker", "right"], check=True, capture_output=True
    )
    broker = Mosquitto(tmp_path, extra=f"password_file {pw}\nallow_anonymous false\n")
    broker.start()
    r = make_rig(broker.port, mqtt__username="speaker", mqtt__password="wrong", mqtt__reconnect_max_s=1.0)
    caplog.set_level(logging.DEBUG, logger="moodspeaker.mqtt.client")
    r.bridge.start()
    try:

        def refusals() -> list[logging.LogRecord]:
            return [rec for rec in caplog.records if "refused the connection" in rec.getMessage()]

        until(lambda: len(refusals()) >= 3, 60, what="three refused attempts")
        levels = [rec.levelno for rec in refusals()]
        assert levels[0] == logging.ERROR and set(levels[1:]) == {logging.DEBUG}, levels
        assert "refused" in r.bridge.stats()["last_error"]
    finally:
        r.bridge.stop()
        broker.stop()


def test_a_stop_on_a_stalled_link_does_not_wait_for_the_keepalive(broker: Mosquitto) -> None:
    """The broker stalled with a backlog larger than the socket's buffers: the DISCONNECT cannot be
    written, and paho's network thread (which stop() joins) went on until the keepalive gave up on the
    link, 10 minutes here (a 1 s stop took 58 s with a 60 s keepalive).  Now the socket is cut at the
    stop's timeout, and the broker sends the will once it runs again."""
    ha = Watcher(broker.port, (AVAILABILITY,)).start()
    r = make_rig(broker.port, mqtt__keepalive_s=600)  # paho's queue: 300 messages
    r.bridge.start()
    try:
        ha.wait_for(AVAILABILITY, lambda m: m.payload == b"online")
        until(lambda: r.bridge.stats()["published"] >= 15, what="the first announcement")
        with broker.frozen():
            paho = r.bridge._conn._client
            for _ in range(250):  # 16 MB: more than both ends' socket buffers hold
                assert paho.publish(f"{ROOT}/filler", b"x" * 65536, qos=1).rc == mqtt.MQTT_ERR_SUCCESS
            stopper = threading.Thread(target=r.bridge.stop, kwargs={"timeout": 1.0})
            stopper.start()
            stopper.join(120)  # generous; before, it ended with the keepalive (600-900 s)
            assert not stopper.is_alive(), "stop() waited for the keepalive"
        ha.wait_for(AVAILABILITY, lambda m: m.payload == b"offline", 60)
    finally:
        ha.stop()


def test_a_broker_behind_is_warned_of_once_per_connection(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    """A broker that keeps up only just (a slow link): each PUBACK makes room for one publish, the next
    is refused again, and every such run of refusals was a WARNING (several a second under a stream of
    mood readings).  Now the first run of a connection is; later ones are logged at DEBUG."""
    r = make_rig(broker.port, mqtt__keepalive_s=600, mqtt__outbox_size=10)  # paho's queue: 110
    caplog.set_level(logging.DEBUG, logger="moodspeaker.mqtt.client")
    r.bridge.start()
    paho = r.bridge._conn._client
    try:
        r.wait_connected()
        until(lambda: r.bridge.stats()["published"] >= 15, what="the first announcement")
        for volume in (0.21, 0.22, 0.23):  # three runs of refusals, each ended by the broker answering
            until(lambda: not paho._out_messages, 60, what="every message acknowledged")
            refused = r.bridge.stats()["refused"]
            with broker.frozen():
                _fill_paho_queue(paho, 1000)
                r.speaker.set_volume(volume)
                until(lambda: r.bridge.stats()["refused"] > refused, what="the volume refused")  # noqa: B023
            until(lambda: r.bridge._conn._refusing == 0, 60, what="the refused volume sent")
        refusals = [rec.levelno for rec in caplog.records if rec.getMessage().startswith("paho refused")]
        assert refusals == [logging.WARNING, logging.DEBUG, logging.DEBUG], refusals
        assert r.bridge.stats()["connects"] == 1
    finally:
        r.bridge.stop()


def test_two_speakers_with_one_device_id_back_off_and_are_reported_once(
    broker: Mosquitto, caplog: pytest.LogCaptureFixture
) -> None:
    """Two speakers with one device id throw each other out at every connect for as long as both run.
    Each close logged the 'same device id' ERROR again (fixed before: once a speaker), and each came
    back a second later (paho's back-off restarts at 1 s after an accepted connect) with an INFO line
    and its whole announcement.  Now, once the takeover is suspected, each reconnect waits longer
    (2 s, then up to reconnect_max_s) and is logged at DEBUG.  The waits are checked from below only
    (paho sleeps them): a busy machine makes them longer, never shorter."""
    caplog.set_level(logging.DEBUG, logger="moodspeaker.mqtt.client")
    twins = [make_rig(broker.port, "twin", mqtt__reconnect_max_s=4) for _ in range(2)]
    for twin in twins:
        twin.bridge.start()
    try:
        conns = [twin.bridge._conn for twin in twins]
        # Three takeovers each once suspected: the waits of 2 s and 4 s both used.
        until(lambda: all(c._takeover.in_a_row >= 6 for c in conns), 180, what="three takeovers each")
    finally:
        for twin in twins:
            twin.bridge.stop()
    said = [rec for rec in caplog.records if "same device id" in rec.getMessage()]
    levels = [rec.levelno for rec in said]
    assert levels.count(logging.ERROR) == 2 and levels.count(logging.DEBUG) >= 6, levels
    by_thread: dict[int | None, list[logging.LogRecord]] = {}
    for rec in caplog.records:
        if "same device id" in rec.getMessage() or rec.getMessage().startswith("connected to MQTT"):
            by_thread.setdefault(rec.thread, []).append(rec)  # each speaker's paho thread
    assert len(by_thread) == 2
    for records in by_thread.values():
        suspected = next(i for i, rec in enumerate(records) if rec.levelno == logging.ERROR)
        after = records[suspected:]
        closes = [rec for rec in after if "same device id" in rec.getMessage()]
        connects = [rec for rec in after if rec.getMessage().startswith("connected")]
        assert {rec.levelno for rec in connects} == {logging.DEBUG}, [rec.levelno for rec in connects]
        waits = [
            min(c.created for c in connects if c.created > close.created) - close.created
            for close in closes
            if any(c.created > close.created for c in connects)
        ]
        assert len(waits) >= 2 and all(wait >= 1.9 for wait in waits), waits  # 1 s each before


def test_a_bridge_started_again_after_a_stop_publishes_again(broker: Mosquitto, watcher: Watcher) -> None:
    """A stopping connection keeps back whatever is published (offline stays the last message); a
    start after the stop publishes as before."""
    r = make_rig(broker.port)
    r.bridge.start()
    try:
        watcher.wait_for(AVAILABILITY, lambda m: m.payload == b"online")
        r.bridge.stop()
        watcher.wait_for(AVAILABILITY, lambda m: m.payload == b"offline")
        watcher.clear()
        r.bridge.start()
        watcher.wait_for(AVAILABILITY, lambda m: m.payload == b"online")
        r.speaker.set_volume(0.55)
        watcher.wait_for(f"{ROOT}/state/volume", lambda m: m.json()["value"] == 0.55)
    finally:
        r.bridge.stop()


def test_an_announcement_a_reconnect_outran_sends_nothing_before_online(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker announces (HA restarted) and is held reading the profiles; meanwhile the broker
    restarts and the speaker reconnects.  The held announcement went on on the new connection: its
    discovery went out at once and its resend released the state, all before that connection's
    `online` (which came only with the next round's announcement).  Now it sends nothing ahead."""
    broker = Mosquitto(tmp_path, extra="log_type debug")
    broker.start()
    r = make_rig(broker.port)
    ha = Watcher(broker.port, (f"{ROOT}/stats",)).start()
    r.bridge.start()
    gate, entered = threading.Event(), threading.Event()
    profiles = r.speaker.profiles

    def held() -> list[str]:
        entered.set()
        gate.wait()
        return profiles()

    try:
        ha.wait_for(f"{ROOT}/stats")  # the first announcement is through
        monkeypatch.setattr(r.speaker, "profiles", held)
        ha.publish("homeassistant/status", "online")  # HA restarted: the worker announces again
        assert entered.wait(30)
        ha.stop()
        before = len(broker.log.read_text().splitlines())
        broker.restart()
        until(lambda: r.bridge.stats()["connects"] == 2, 60, what="the reconnect", detail=r.bridge.stats)
        monkeypatch.setattr(r.speaker, "profiles", profiles)
        gate.set()
        until(lambda: f"{ROOT}/stats" in retained(broker.port, f"{ROOT}/#"), 60, what="the new announcement")
        lines = [line for line in broker.log.read_text().splitlines()[before:] if SPEAKER in line]
        assert f"'{AVAILABILITY}'" in lines[0], lines[:4]  # online first on the new connection
    finally:
        gate.set()
        r.bridge.stop()
        broker.stop()
