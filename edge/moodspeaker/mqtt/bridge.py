"""MqttBridge: the thin adapter between the appliance (ControlAPI + EventBus) and an MQTT broker.

Outbound (outbound.py), bus events become retained state topics (published only when a value changes),
event topics (mood changes, tracks, rejected commands, errors) and a periodic stats topic; Home Assistant
gets one device-based discovery message (DiscoveryFeed).  A library scan's counts change with no
event per file, so while one runs the state is read again every SCAN_POLL_S (and its counts go out
no more often).
Inbound, `…/<command>/set` messages (for this speaker or `<base>/all/…` for every speaker) go to the
CommandInbox (inbound.py), which hands them to ControlAPI.execute, the one place that validates
commands; a bad payload is answered with a `command_rejected` event and changes nothing.

Threads: the bus callback only enqueues (the publisher never waits), one worker thread does all the
mapping and publishing, the inbox's thread runs the commands, paho's network thread does the I/O.
The work queue is bounded and drops what does not fit (counted); the control signals (announce after
a connect or HA's restart, flush when paho has room again, the discovery the broker kept) are flags
the worker checks every round, never dropped: a lost announcement left the speaker connected but
silent until the next reconnect.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import shlex
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from moodspeaker.config.schema import Config
from moodspeaker.mqtt.client import OFFLINE, ONLINE, Connection, ConnectionSettings
from moodspeaker.mqtt.discovery_feed import DiscoveryFeed, active_profile
from moodspeaker.mqtt.identity import device_id_of, is_loopback, lan_address, reachable_url
from moodspeaker.mqtt.inbound import GROUP_SOURCE, SOURCE, CommandInbox
from moodspeaker.mqtt.outbound import Outbound
from moodspeaker.mqtt.scan_feed import SCAN_POLL_S
from moodspeaker.mqtt.state_feed import StateFeed
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import Event, EventBus
from moodspeaker.util.program import command

__all__ = ["GROUP_SOURCE", "SCAN_POLL_S", "SOURCE", "MqttBridge"]  # SCAN_POLL_S: the bridge's pace

log = logging.getLogger(__name__)

_WORK_QUEUE_SIZE = 1000


class MqttBridge:
    """Publishes the speaker's state and events and obeys commands; start() returns at once."""

    def __init__(
        self,
        config: Config,
        control: ControlAPI,
        bus: EventBus,
        device_id: str | None = None,
        web_url: str = "",
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        cfg = config.mqtt
        self._settings = ConnectionSettings.from_config(cfg)
        device = device_id or device_id_of(config)
        self.topics = Topics(cfg.base_topic, device, cfg.discovery_prefix)
        self._bus = bus
        # A page listening on loopback only cannot be opened from HA's side: no link rather than a dead one.
        self._web_url = "" if is_loopback(config.web.host) else reachable_url(web_url, lan_address)
        self._clock = clock
        self._monotonic = monotonic  # schedules and uptime: a Pi without RTC jumps its wall clock at boot
        self._stopping = threading.Event()
        self._stats_interval = cfg.stats_interval_s
        self._work: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=_WORK_QUEUE_SIZE)
        self._announce_due = threading.Event()  # control signals: see _signal
        self._flush_due = threading.Event()
        self._kept_due = threading.Event()  # the discovery the broker kept has come: `_kept`
        self._kept = b""
        # The retained state topics, each sent only when it changed (a running scan's counts paced).
        self._state = StateFeed(
            self.topics, lambda topic, body: self._conn.publish(topic, body, True), monotonic
        )
        self._counters = {"received": 0, "commands": 0, "rejected": 0, "work_dropped": 0, "ha_online": 0}
        self._thread: threading.Thread | None = None
        # Commands run on the inbox's own thread: a slow one (re-planning, a fade) never delays publishing.
        self._inbox = CommandInbox(
            self.topics, control, bus, self._counters, lambda state: self._put("state", state), clock=clock
        )
        self._unsubscribe: Callable[[], None] | None = None
        subscriptions = [*self.topics.command_filters]
        if cfg.discovery:  # HA's restarts, and the discovery the broker kept (DiscoveryFeed.kept)
            subscriptions += [self.topics.ha_status, self.topics.discovery]
        self._conn = Connection(
            self._settings,
            client_id=f"moodspeaker-{device}",
            will_topic=self.topics.availability,
            subscriptions=subscriptions,
            on_connected=lambda: self._signal(self._announce_due),
            on_message=self._on_message,
            on_room=lambda: self._signal(self._flush_due),  # paho refused some: it has room again
        )
        self._discovery = DiscoveryFeed(
            self._conn,
            self.topics,
            enabled=cfg.discovery,
            name=config.device.name,
            web_url=self._web_url,
            control=control,
            default_profile=config.recommend.profile,
        )
        # Events, state and stats out, on the worker thread.
        self._out = Outbound(
            self.topics,
            self._conn,
            control=control,
            state=self._state,
            discovery=self._discovery,
            link_stats=self.stats,
            clock=clock,
            monotonic=monotonic,
        )

    # --- lifecycle -------------------------------------------------------------------------------

    @property
    def device_id(self) -> str:
        return self.topics.device_id

    @property
    def settings(self) -> ConnectionSettings:
        return self._settings

    @property
    def connected(self) -> bool:
        return self._conn.connected

    def start(self) -> None:
        """Subscribe to the bus and connect in the background (never blocks on the broker)."""
        if self._thread is not None:
            return
        self._out.started = self._monotonic()
        self._stopping.clear()
        self._unsubscribe = self._bus.subscribe(self._on_event)
        self._thread = threading.Thread(target=self._run, name="mqtt-bridge", daemon=True)
        self._thread.start()
        self._inbox.start()
        self._conn.start()
        log.info("MQTT bridge for %s started (topics under %s/)", self.device_id, self.topics.root)

    def stop(self, timeout: float = 3.0) -> None:
        """Blank the topics that tell about the listener, announce `offline` (a clean stop does not
        trigger the last will) and disconnect.  The broker keeps a retained message for ever: without
        the blanks the last mood, profile and track's reason stayed there for every client to read,
        also after "delete everything" (StateFeed.at_stop)."""
        self._shutdown(
            lambda: [*self._state.at_stop(self._clock()), (self.topics.availability, OFFLINE)], timeout
        )

    def forget(self, timeout: float = 3.0) -> bool:
        """Remove this speaker from Home Assistant and the broker, then stop; False (and a warning in
        the log) when the broker did not acknowledge it, e.g. unreachable: nothing was cleared then,
        and `moodspeaker mqtt forget` does it once the broker is back.

        An empty retained message on the discovery topic makes HA delete the device and its entities;
        empty retained messages clear the speaker's own topics.  The bridge stops first so that nothing
        re-publishes them (the `moodspeaker mqtt forget` command does the same without the service).
        """
        cleared = [self.topics.discovery, *self.topics.retained_topics()]
        if self._shutdown(lambda: [(topic, b"") for topic in cleared], timeout):
            return True
        log.warning(
            "MQTT forget: the broker did not acknowledge the removal of %s (not connected?); it is still "
            "in Home Assistant: run `%s` once the broker is back",
            self.device_id,
            command(f"mqtt forget --device-id {shlex.quote(self.device_id)}"),
        )
        return False

    def _shutdown(self, last: Callable[[], list[tuple[str, bytes]]], timeout: float) -> bool:
        """Stop; True when the broker acknowledged every one of `last()` (made once the worker is
        done: the state it published is what the last messages follow)."""
        if self._thread is None:
            return False
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._stopping.set()
        self._put("stop", None)  # wakes the worker; if the queue is full it sees _stopping next round
        self._inbox.stop()
        self._thread.join(timeout)
        self._thread = None
        self._inbox.join(timeout)
        delivered = self._conn.stop(last=last(), timeout=timeout)
        log.info("MQTT bridge for %s stopped", self.device_id)
        return delivered

    def stats(self) -> dict[str, Any]:
        return {**self._conn.stats(), **self._counters}

    # --- inputs (any thread) ---------------------------------------------------------------------

    def _put(self, kind: str, item: Any) -> None:
        try:
            self._work.put_nowait((kind, item))
        except queue.Full:
            self._counters["work_dropped"] += 1

    def _signal(self, due: threading.Event) -> None:
        """Raise a control signal: a flag the worker checks every round, so it is never dropped; the
        queue entry only wakes a waiting worker (a full queue wakes it anyway)."""
        due.set()
        with contextlib.suppress(queue.Full):
            self._work.put_nowait(("wake", None))

    def _on_event(self, event: Event) -> None:
        """Bus subscriber: runs on the publisher's thread, so it only enqueues."""
        self._put("event", event)

    def _on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        if topic == self.topics.discovery:  # retained: kept from before; live: our own, sent back
            if retained and payload:
                self._kept = payload
                self._signal(self._kept_due)
            return  # not counted: `received` is what others sent (commands, HA's status)
        self._counters["received"] += 1
        if topic == self.topics.ha_status:
            # A retained `online` (HA can be set to retain its birth message) is replayed at each of our
            # (re)connects, which announce anyway; a real HA restart reaches us as a live message.
            if payload.strip().lower() == b"online" and not retained:
                self._counters["ha_online"] += 1
                self._signal(self._announce_due)
            return
        self._inbox.offer(topic, payload, retained)

    # --- the worker ------------------------------------------------------------------------------

    def _run(self) -> None:
        next_stats = self._monotonic() + self._stats_interval
        while True:
            wake = self._state.scan.wake(next_stats)
            timeout = max(0.0, wake - self._monotonic())
            try:
                kind, item = self._work.get(timeout=timeout)
            except queue.Empty:
                kind, item = "tick", None
            if kind == "stop" or self._stopping.is_set():
                return
            try:
                self._signalled()
                self._handle(kind, item)
                if self._state.scan.poll_due(self._monotonic()):
                    self._out.refresh_state()  # a scan's counts change without an event per file
                    self._state.scan.polled(self._monotonic())
            except Exception:
                log.exception("MQTT bridge failed handling %s; carrying on", kind)
            if self._monotonic() >= next_stats:
                next_stats = self._monotonic() + self._stats_interval
                try:
                    self._out.refresh_state(check_profiles=True)
                    self._out.publish_stats()
                except Exception:
                    log.exception("MQTT bridge failed publishing stats; carrying on")

    def _signalled(self) -> None:
        """The control signals raised since the last round (before the work in hand: until the
        announcement the connection holds back whatever the work publishes)."""
        if self._announce_due.is_set():
            self._announce_due.clear()
            self._announce()
        if self._kept_due.is_set():  # after the announcement: its discovery is sent again after this
            self._kept_due.clear()
            self._discovery.kept(self._kept)
        if self._flush_due.is_set():
            self._flush_due.clear()
            self._conn.flush()

    def _handle(self, kind: str, item: Any) -> None:
        if kind == "event":
            self._out.handle_event(item)
        elif kind == "state":  # a command's answer: by now the state may have moved on (a scan's
            self._out.refresh_state()  # counts, polled meanwhile), so what is current goes out, never it

    def _announce(self) -> None:
        """After a (re)connect or HA's restart: online, discovery, the whole state, kept events.

        What was published before goes out again first, then only what changed since: the other way
        round, a value that changed while offline (or everything, on the first connect) went out twice,
        and a client waiting for a state to come back saw it come back again later.  Until `resend`
        the connection holds back whatever else is published (a change handled between the connect
        and this announcement), so nothing precedes `online` and nothing goes out twice.  The stats
        close it, made now: the ones remembered are not resent before them.
        """
        connect = self._conn.connects  # a reconnect meanwhile: its own announcement sends online first
        self._conn.publish(self.topics.availability, ONLINE, retain=True, at_once=True, connect=connect)
        read: list[Mapping[str, Any] | None] = []  # the state, when the discovery needed it first

        def active() -> str | None:  # a cut profile list offers the state's active profile
            read.append(self._out.read_state())
            return active_profile(read[-1])

        try:
            self._discovery.announce(connect, active)
        finally:  # until resend runs the connection holds everything back: it must run
            sent = (self.topics.availability, self.topics.discovery)
            self._conn.resend(skip=sent, connect=connect, renewed=(self.topics.stats,))
        try:
            self._out.refresh_state(read[-1] if read else None)
        finally:  # renewed: not resent, so they must follow
            self._out.publish_stats()
