"""The stats topic's payload: how the speaker and its MQTT link run, and since when.

`started` is when the bridge started by the wall clock, to the second, in ISO 8601 with its time
zone: Home Assistant's Uptime sensor shows it (`device_class: timestamp`, "3 days ago"), so the
entity changes only when the speaker restarts, not at every stats message as a count of seconds did
(HA's rule: an entity does not change just because time passes).  It is `ts - uptime_s`, which
moves by the few milliseconds between the two clocks' reads from one message to the next: the value
published stays as long as a new one is within START_SLACK_S of it, and moves when the wall clock
itself was set (a Pi without a real-time clock sets it by NTP some time after boot).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from moodspeaker.mqtt.payloads import PayloadError, encode, stats_health

log = logging.getLogger(__name__)

#: How far `ts - uptime_s` may move before `started` follows it (seconds).
START_SLACK_S = 2


class StartTime:
    """`started` as published: see the module doc."""

    def __init__(self) -> None:
        self._at: int | None = None

    def iso(self, now: float, uptime_s: float) -> str:
        start = round(now - uptime_s)
        if self._at is None or abs(start - self._at) > START_SLACK_S:
            self._at = start
        return datetime.fromtimestamp(self._at, UTC).isoformat()


def stats_body(
    start: StartTime,
    *,
    now: float,
    device_id: str,
    uptime_s: float,
    mqtt: Mapping[str, Any],
    health: Mapping[str, Any],
) -> bytes:
    """The stats message; an oversized or odd health report is left out (logged), never the stats."""
    payload = {
        "schema": 1,
        "ts": round(now, 3),
        "device_id": device_id,
        "uptime_s": round(uptime_s, 1),
        "started": start.iso(now, uptime_s),
        "mqtt": dict(mqtt),
        "health": stats_health(health),  # how it runs, not why it played what (no moods)
    }
    try:
        return encode(payload, "stats")
    except PayloadError as exc:
        log.warning("health left out of the stats: %s", exc)
        return encode({**payload, "health": {"omitted": str(exc)[:200]}}, "stats")
