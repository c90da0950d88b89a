"""Outbound: what the MQTT bridge's worker publishes for the speaker, the other way from inbound.py.

Bus events become event topics (mood changes, tracks, rejected commands, errors: not retained) and
bring the retained state topics up to date (StateFeed, published only when a value changes); the
periodic stats topic is made here too.  A deletion or the camera switched off drops the mood events
still held for the broker, and a deletion makes the retained stats again at once.  Runs on the
bridge's worker thread only; the bridge decides when (its queue, its announcements, its schedule).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from moodspeaker.mqtt.client import Connection
from moodspeaker.mqtt.discovery_feed import DiscoveryFeed, active_profile
from moodspeaker.mqtt.payloads import PayloadError, encode, event_payload
from moodspeaker.mqtt.state_feed import StateFeed
from moodspeaker.mqtt.stats_feed import StartTime, stats_body
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import (
    CommandRejected,
    ErrorReported,
    Event,
    HealthReport,
    MoodChanged,
    MoodObserved,
    StateChanged,
    TrackEnded,
    TrackStarted,
)

log = logging.getLogger(__name__)

#: Events forwarded to `<root>/event/<kind>` (not retained).
_FORWARDED = (MoodChanged, TrackStarted, TrackEnded, CommandRejected, ErrorReported)
#: Events after which the state snapshot is read again.
_REFRESHING = (StateChanged, TrackStarted, TrackEnded)
#: The StateChanged keys of a deletion ("delete everything", a retention run: service.listeners).
_DELETIONS = frozenset({"data_deleted", "data_expired"})
#: Events that tell the listener's mood (track_started quotes it in its reason) or listening: those still
#: held for the broker go when the listener deletes data or switches the camera off (privacy).
_MOOD_EVENTS = ("mood_changed", "track_started", "track_ended")


class Outbound:
    """Publishes events, state and stats on `conn`; `link_stats()` gives the stats' `mqtt` counters,
    `clock` the payloads' timestamps, `monotonic` the uptime (from `started`, set when the bridge
    starts)."""

    def __init__(
        self,
        topics: Topics,
        conn: Connection,
        *,
        control: ControlAPI,
        state: StateFeed,
        discovery: DiscoveryFeed,
        link_stats: Callable[[], dict[str, Any]],
        clock: Callable[[], float],
        monotonic: Callable[[], float],
    ) -> None:
        self._topics = topics
        self._conn = conn
        self._control = control
        self._state = state
        self._discovery = discovery
        self._link_stats = link_stats
        self._clock = clock
        self._monotonic = monotonic
        self._health: dict[str, Any] = {}
        self._start = StartTime()  # the stats' `started`, HA's Uptime
        self.started = 0.0  # when the bridge started, by `monotonic`

    def handle_event(self, event: Event) -> None:
        if isinstance(event, MoodObserved):
            self._state.reading(event)
        elif isinstance(event, HealthReport):
            self._health = dict(event.stats)
        if isinstance(event, _FORWARDED):
            try:
                body = encode(event_payload(event, reading=self._state.has_reading), event.kind)
            except PayloadError as exc:
                log.error("event %s not published: %s", event.kind, exc)
                return
            self._conn.publish(self._topics.event(event.kind), body, False)
        if isinstance(event, MoodChanged):
            self._state.mood_changed(event)  # as the camera is: off, a correction shows camera_off
        if isinstance(event, StateChanged) and event.key == "camera":
            self._state.camera = bool(event.value)
        if isinstance(event, StateChanged) and (
            event.key in _DELETIONS or (event.key == "camera" and not event.value)
        ):
            self._drop_mood_events(event.key)
        if isinstance(event, _REFRESHING):  # a control changed: maybe the profiles too (added, deleted)
            self.refresh_state(check_profiles=isinstance(event, StateChanged))
        if isinstance(event, StateChanged) and event.key in _DELETIONS:
            self._restate_stats()

    def _drop_mood_events(self, why: str) -> None:
        """A deletion or the camera switched off: the moods read before it (and the tracks they chose,
        whose reasons quote them) must not reach the broker after it, as they would once it is back
        if they were still held for it (kept during an outage, or sent but never acknowledged)."""
        dropped = self._conn.drop_events([self._topics.event(kind) for kind in _MOOD_EVENTS])
        if dropped:
            log.info("%s: %d mood and track events held for the broker dropped", why, dropped)

    def _restate_stats(self) -> None:
        """ "Delete everything" or the retention took data back: the retained stats are made again
        now from the health report as it is after it.  Its incidents can name a track or a listener
        with when ("cannot open <file>", "stopped the decoder on <track>"), its failed tracks too,
        and until the next stats (mqtt.stats_interval_s, up to an hour) the broker kept them for
        every client after the service had deleted them."""
        try:
            health = self._control.state().get("health")
        except Exception:
            log.exception("could not read the speaker's health")
            return
        if isinstance(health, Mapping):
            self._health = dict(health)
        self.publish_stats()

    def read_state(self) -> Mapping[str, Any] | None:
        try:
            return self._control.state()
        except Exception:
            log.exception("could not read the speaker's state")
            return None

    def refresh_state(self, state: Mapping[str, Any] | None = None, check_profiles: bool = False) -> None:
        if check_profiles:  # first: HA refuses a profile state that is not one of the select's options
            self._discovery.check_profiles()
        state = self.read_state() if state is None else state
        if state is not None:
            self._discovery.follow(active_profile(state))  # offered before its state, too
            self._state.snapshot(state, self._clock())

    def publish_stats(self) -> None:
        uptime_s = self._monotonic() - self.started
        now, mqtt = self._clock(), self._link_stats()
        body = stats_body(
            self._start,
            now=now,
            device_id=self._topics.device_id,
            uptime_s=uptime_s,
            mqtt=mqtt,
            health=self._health,
        )
        self._conn.publish(self._topics.stats, body, True)
