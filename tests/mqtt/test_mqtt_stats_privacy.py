"""The retained stats topic says how the speaker runs, never which moods it read.

The stats carried the service's whole health report, whose `reasons` are the explanations of the last
ten tracks ("you look happy (90% sure); ..."): a mood history, retained by the broker for every client,
and still there after "delete everything" until the next stats (mqtt.stats_interval_s, up to an hour).
The real appliance (scripted camera showing a happy face) and its bridge on a real Mosquitto: once a
health report holding an explanation has gone out as stats, neither that message nor the retained one
quotes it, while the rest of the health report is there.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Message, Watcher, retained

from moodspeaker.service.events import Event, HealthReport


def test_stats_carry_no_explanations(tmp_path: Path, broker: Mosquitto, watcher: Watcher) -> None:
    with bridged(tmp_path, broker, Shown(mood="happy"), mqtt__stats_interval_s=1.0) as (app, _bridge):
        explained: list[dict[str, Any]] = []
        seen = threading.Event()

        def on_event(event: Event) -> None:
            if isinstance(event, HealthReport) and event.stats.get("reasons") and not seen.is_set():
                explained.append(dict(event.stats))
                seen.set()

        unsubscribe = app.bus.subscribe(on_event)
        try:
            assert seen.wait(90), "no health report with an explanation of a pick"
        finally:
            unsubscribe()
        report = explained[0]
        quoted = [str(r["reason"]) for r in report["reasons"] if r.get("reason")]
        assert any("you look happy" in q for q in quoted), quoted  # the explanations quote the mood

        def after_report(m: Message) -> bool:  # the stats made from that report (or a later one)
            health = json.loads(m.payload).get("health") or {}
            return float(health.get("uptime_s", -1.0)) >= float(report["uptime_s"])

        stats = watcher.wait_for(f"{ROOT}/stats", after_report, timeout=BUSY * 3)
        body = stats.payload.decode()
        assert "reasons" not in json.loads(body)["health"]
        for q in quoted:
            assert q not in body
        assert "you look" not in body
        assert "stages" in json.loads(body)["health"]  # how it runs is still reported
        kept = retained(broker.port, f"{ROOT}/stats")[f"{ROOT}/stats"].decode()
        assert "you look" not in kept and '"reasons"' not in kept
