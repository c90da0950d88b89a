"""After "delete everything", the retained stats topic no longer names a track from before it.

The stats' health carries the service's incidents (the last 20, each with its time), and some name a
track: "cannot open <file>" for a track whose file was gone, "stopped the decoder on <track>".  The
service forgets them at the deletion (service.health), but the broker kept the stats made before it
for every client (Home Assistant, anyone subscribed) until the next stats, mqtt.stats_interval_s
later (up to an hour).  Now the bridge makes the stats again at once after a deletion.  The real
appliance (player on SDL's dummy driver, recommender on SQLite, a tone track whose file was removed)
and its bridge on a real Mosquitto; a stats interval of an hour, so only the deletion republishes.
"""

from __future__ import annotations

import threading
from pathlib import Path

from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher, retained

from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import Event, HealthReport, TrackStarted
from polling import until

STATS = f"{ROOT}/stats"


def _names_it(payload: bytes) -> bool:
    return b"happy1" in payload


def test_retained_stats_forget_the_track_named_before_delete_everything(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    with bridged(
        tmp_path, broker, Shown(mood=None), mqtt__stats_interval_s=3600.0, recommend__strategy="off"
    ) as (app, _bridge):
        started: list[str] = []
        reported = threading.Event()

        def on_event(event: Event) -> None:
            if isinstance(event, TrackStarted):
                started.append(event.track_id)
            if isinstance(event, HealthReport) and "happy1" in str(event.stats.get("incidents")):
                reported.set()

        app.bus.subscribe(on_event)
        tracks = {t.id: t for t in app.parts.recommender.source.tracks()}
        Path(tracks["happy1"].location).unlink()  # its disk unplugged
        app.player.set_queue([QueueItem(tracks[t], "queued") for t in ("happy1", "sad1")])
        until(lambda: len(app.player.status().queue) == 2, BUSY, what="the queue")
        app.play()
        until(lambda: "sad1" in started, BUSY, what="the track after the missing one")
        assert reported.wait(BUSY), "no health report naming the missing track"
        # handled by the bridge too: its queue takes a volume set now after that report, and HA's
        # restart, a signal handled before the queue, could otherwise announce the health before it
        watcher.publish(f"{ROOT}/set_volume/set", "0.41")
        watcher.wait_for(f"{ROOT}/state/volume", lambda m: m.json()["value"] == 0.41, timeout=BUSY)
        watcher.publish("homeassistant/status", "online")  # HA restarted: the stats go out again
        watcher.wait_for(STATS, lambda m: _names_it(m.payload), timeout=BUSY)
        assert _names_it(retained(broker.port, STATS)[STATS])  # kept by the broker for every client

        app.delete_data()

        def clean() -> bool:
            return not _names_it(retained(broker.port, STATS)[STATS])

        until(clean, BUSY, what="retained stats without the track deleted", interval=0.5)
        fresh: Message = watcher.wait_for(STATS, lambda m: not _names_it(m.payload), timeout=BUSY)
        assert b'"stages"' in fresh.payload  # the rest of the health report is still there
