"""The broker connection: paho-mqtt 2.x with TLS, credentials, last will, back-off and a bounded outbox.

The appliance must never wait for the broker.  `publish` only touches memory: a retained message is
remembered as the latest value of its topic (so memory is bounded by the number of topics, and
the whole state is re-sent after every reconnect), an event goes to a bounded deque while the broker
is unreachable (oldest dropped first, counted; sent afterwards only if at most EVENT_MAX_AGE_S old).
After a (re)connect nothing goes out until the owner announces itself: what it sends `at_once`
(availability, discovery) first, then `resend` sends everything else, each topic once.
paho's own network thread reconnects with a delay that doubles from 1 s up to `reconnect_max_s` (and
keeps doubling while another speaker with this device id takes the connection over: takeover.py).
The bridge's Outbox (outbox.py), not paho, decides what is sent again after a reconnect: paho's own
queue is dropped at every connect (its capped size still bounds what it holds meanwhile), and a
message paho refuses (that queue full) stays owed and is sent again, never lost.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt

from moodspeaker.mqtt.outbox import Ack, Outbox
from moodspeaker.mqtt.settings import ConnectionSettings, MqttSetupError, turned_away
from moodspeaker.mqtt.takeover import TakeoverWatch

__all__ = ["EVENT_MAX_AGE_S", "OFFLINE", "ONLINE", "QOS", "Connection"]
__all__ += ["ConnectionSettings", "MqttSetupError"]  # settings.py's, imported from here as before

log = logging.getLogger(__name__)

QOS = 1
#: Events kept during an outage are sent afterwards only if they are at most this old: a mood change
#: from ten minutes ago must not fire a home automation now.  (State topics are always re-sent.)
EVENT_MAX_AGE_S = 120.0
ONLINE = b"online"
OFFLINE = b"offline"
#: How paho names the end of a connection the broker stopped answering (no PINGRESP, or no CONNACK).
_KEEPALIVE_TIMEOUT = "Keep alive timeout"


class Connection:
    """One paho client; callbacks run on paho's network thread and must stay short.

    `on_room` (optional) is called on that thread when the broker acknowledges a message while
    something paho refused is still owed: the owner calls `flush` then (from its own thread).
    """

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        client_id: str,
        will_topic: str | None,
        subscriptions: Sequence[str],
        on_connected: Callable[[], None],
        on_message: Callable[[str, bytes, bool], None],
        on_room: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._will_topic = will_topic
        self._subscriptions = list(subscriptions)
        self._on_connected = on_connected
        self._on_message_cb = on_message
        self._on_room = on_room
        self._lock = threading.Lock()
        self.counters = dict.fromkeys(
            ("connects", "disconnects", "published", "refused", "dropped", "expired"), 0
        )  # what it received is the owner's to count (MqttBridge: what others sent)
        self._box = Outbox(settings.outbox_size, self.counters)
        self._connected = False
        self._announcing = False  # connected, but `resend` has not run yet: publishes wait for it
        self._stopping = False
        self._closed = threading.Event()  # paho closed the socket (on_disconnect): stop waits for it
        self._client_id = client_id
        self._connected_at = 0.0
        self._max_delay = max(1, round(settings.reconnect_max_s))
        self._takeover = TakeoverWatch(self._max_delay)  # another speaker with this device id?
        self._refused = False  # the broker's CONNACK refused the attempt (its reason is last_error)
        self._refusing = 0  # publishes paho refused in a row (its queue full); logged at the first
        self._streaks = 0  # such runs on this connection: a broker behind gives one per PUBACK (logged once)
        self._owed = False  # something refused is owed: the next acknowledgement calls on_room
        self.last_error = ""
        will = None if will_topic is None else (will_topic, OFFLINE)
        client = settings.paho_client(client_id, will, QOS)  # credentials, TLS, queue: settings.py
        client.reconnect_delay_set(min_delay=1, max_delay=self._max_delay)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_socket_open = self._on_socket_open
        client.on_message = self._on_message
        client.on_publish = self._on_publish
        self._client = client

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background: an absent broker is retried with back-off, never waited for."""
        s = self._settings
        self._stopping = False  # started again after a stop: publishing as before
        self._client.connect_async(s.host, s.port, keepalive=s.keepalive_s)
        self._client.loop_start()

    def stop(self, last: Sequence[tuple[str, bytes]] = (), timeout: float = 3.0) -> bool:
        """Publish `last` (e.g. availability offline) if connected, then disconnect; True when the broker
        acknowledged all of `last` (or there were none) within `timeout`.  `last` is the last thing sent:
        from here on `publish` only keeps what it gets (the owner's worker can outlive its join, held in
        a slow state read: its state went out after `offline`, or re-made a topic `forget` cleared)."""
        with self._lock:  # a publish under way ends first; none starts after
            self._stopping = True
            infos: list[mqtt.MQTTMessageInfo] = []
            if last and self._connected:
                infos = [self._client.publish(t, p, qos=QOS, retain=True) for t, p in last]
                self.counters["published"] += len(infos)
        delivered = not last
        deadline = time.monotonic() + timeout
        connected = self._connected
        if infos:
            try:
                for info in infos:
                    info.wait_for_publish(max(0.0, deadline - time.monotonic()))
                delivered = all(info.is_published() for info in infos)
            except (RuntimeError, ValueError):  # paho did not take one (queue full, connection gone)
                delivered = False
        self._closed.clear()
        if connected and not delivered and (self._will_topic, OFFLINE) in last:
            # No DISCONNECT: it would make the broker discard the will, the one `offline` left.
            self._cut("the broker did not acknowledge offline in time; the last will says it")
        else:
            self._client.disconnect()
            if connected and not self._closed.wait(max(0.5, deadline - time.monotonic())):
                self._cut("the broker did not take the disconnect in time")
        self._client.loop_stop()
        self._connected = False
        return delivered

    def _cut(self, why: str) -> None:
        """End the connection without a DISCONNECT: the broker sends the last will, `offline`.  Also
        when a DISCONNECT could not be written (a stalled link, paho's backlog filling the socket's
        buffers): paho's thread, which stop() joins, would go on until the keepalive gave up (up to
        15 minutes).  The plain socket's shutdown: an SSL socket's own would unwrap it under paho."""
        sock = self._client.socket()
        if isinstance(sock, socket.socket):
            log.warning("%s: connection cut", why)
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    @property
    def connected(self) -> bool:
        return self._connected

    # --- publishing ------------------------------------------------------------------------------

    def publish(
        self, topic: str, payload: bytes, retain: bool, *, at_once: bool = False, connect: int | None = None
    ) -> None:
        """Send now if possible; otherwise keep it (retained: latest per topic; events: bounded).
        Between a (re)connect and the `resend` that follows it only `at_once` messages are sent: a
        value published in that window would otherwise go out before `online` and then again.
        Whatever is owed from before (refused by paho) goes first, so the order holds.
        """
        with self._lock:
            if retain:
                self._box.remember(topic, payload)
            else:
                self._box.hold(topic, payload, time.monotonic())
            if not self._connected or self._stopping:
                return
            if not self._announcing:
                self._flush()
            elif at_once and retain and connect in (None, self.connects):
                self._box.send_now(topic, self._send)

    @property
    def connects(self) -> int:
        """The current connection's number: an announcement a reconnect outran (`connect`: the one it
        is for) sends nothing at once and leaves the wait to the next one, which sends `online` first."""
        return self.counters["connects"]

    def clear(self, topic: str, connect: int | None = None) -> None:
        """Delete a retained topic on the broker (empty retained payload), sent ahead of the rest
        like an `at_once` publish and again after each reconnect (an empty one deletes nothing new)."""
        self.publish(topic, b"", retain=True, at_once=True, connect=connect)

    def resend(
        self, skip: Sequence[str] = (), connect: int | None = None, renewed: Sequence[str] = ()
    ) -> None:
        """After (re)connecting: every remembered retained value (but `renewed`, which the owner
        publishes anew next), then the events kept in the outbox; from then on every publish is sent
        at once again."""
        with self._lock:
            if not self._connected or self._stopping or connect not in (None, self.connects):
                return
            self._announcing = False
            self._box.resend_all(skip, renewed)
            self._flush()

    def flush(self) -> None:
        """Send what paho refused before (after `on_room`); nothing while not connected."""
        with self._lock:
            if self._connected and not self._announcing and not self._stopping:
                self._flush()

    def precede(self, topic: str, payload: bytes) -> None:
        """`payload` goes out retained on `topic` before the topic's next value (publish it next), on
        every connection until the broker acknowledges it: the value replaces it on the broker, so
        the latest value alone would lose it (see Outbox.precede)."""
        with self._lock:
            self._box.precede(topic, payload)

    def drop_events(self, topics: Sequence[str]) -> int:
        """Forget the events on `topics` that are kept or not acknowledged yet (see Outbox)."""
        with self._lock:
            return self._box.drop_events(frozenset(topics))

    def _flush(self) -> None:
        self._box.flush(self._send, time.monotonic(), EVENT_MAX_AGE_S)

    def _send(self, topic: str, payload: bytes, retain: bool) -> Ack | None:
        info = self._client.publish(topic, payload, qos=QOS, retain=retain)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            # Owed from here on, then once more: had every acknowledgement arrived between paho's
            # refusal and this flag, none would have called on_room, and the refused value would have
            # waited for the next publish (an hour away on an idle speaker: the stats).
            self._owed = True
            info = self._client.publish(topic, payload, qos=QOS, retain=retain)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self.counters["published"] += 1
            if self._refusing:
                level = logging.INFO if self._streaks == 1 else logging.DEBUG
                log.log(level, "paho takes publishes again (%d refused); the refused follow", self._refusing)
                self._refusing = 0
            return info
        if info.rc == mqtt.MQTT_ERR_NO_CONN:  # the connection just went: on_disconnect follows
            log.debug("publish to %s kept for the reconnect (connection gone)", topic)
            return None
        self.counters["refused"] += 1
        self._owed = True
        self._refusing += 1
        if self._refusing == 1:
            self._streaks += 1
            log.log(
                logging.WARNING if self._streaks == 1 else logging.DEBUG,
                "paho refused a publish to %s (%s): the broker has not acknowledged the last messages; "
                "it and what follows are kept and sent when paho takes them again or after the reconnect",
                topic,
                mqtt.error_string(info.rc),
            )
        return None

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "connected": self._connected,
                **self.counters,
                "outbox": self._box.events,
                "retained_topics": len(self._box.retained),
                "last_error": self.last_error,
            }

    # --- paho callbacks (network thread) ---------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            self._refused = True
            error = f"broker refused the connection: {reason_code}"
            # A broker refusing every attempt (a wrong password) answers each one, up to one a
            # reconnect_max_s for as long as it runs: said once at ERROR, its repeats at DEBUG.
            again = error == self.last_error
            self.last_error = error
            log.log(
                logging.DEBUG if again else logging.ERROR,
                "MQTT broker %s:%s refused the connection: %s%s",
                self._settings.host,
                self._settings.port,
                reason_code,
                " (again)" if again else "; retrying with back-off, the same refusal logged at DEBUG",
            )
            return
        self.counters["connects"] += 1
        self.last_error = ""
        # Thrown out again and again by a speaker with this device id: its reconnects are not news.
        quiet = logging.DEBUG if self._takeover.suspected else logging.INFO
        log.log(quiet, "connected to MQTT broker %s:%s", self._settings.host, self._settings.port)
        # paho re-sends its queue right after this callback, before `online`: drop it, the Outbox
        # knows what is owed.  (Outside our lock: publish takes paho's queue lock under ours.)
        dropped = len(client.drop_out_messages())  # paho-mqtt >= 2.2 (pyproject requires it)
        if self._subscriptions:
            client.subscribe([(topic, QOS) for topic in self._subscriptions])
        self._connected_at = time.monotonic()
        with self._lock:
            back = self._box.reconnected()
            self._refusing = self._streaks = 0
            self._owed = False
            self._announcing = True
            self._connected = True
        if dropped:
            log.log(
                quiet,
                "dropped paho's %d unacknowledged messages from the lost connection; the state is "
                "re-sent, and %d events if still recent enough",
                dropped,
                back,
            )
        self._on_connected()

    def _on_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason_code: Any, properties: Any
    ) -> None:
        """A PUBACK: paho has room again.  Runs holding paho's queue lock, so it takes none of ours
        (publish takes that lock under ours); it only tells the owner to flush."""
        if self._owed and self._on_room is not None:
            self._owed = False
            self._on_room()

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        """No Nagle: an event sent right after a PUBACK would wait ~40 ms for the broker's delayed ACK.

        paho leaves TCP_NODELAY off; bench/bench_mqtt.py measured 43 ms -> 1 ms median from a mood flip
        in the service to a subscriber.  Not a TCP socket (unix, websocket): nothing to tune.
        """
        with contextlib.suppress(OSError, AttributeError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self.last_error = (
            f"cannot connect to the broker at {self._settings.host}:{self._settings.port} "
            "(unreachable, or the TLS handshake failed)"
        )
        log.warning("%s; retrying with back-off", self.last_error)

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        # Not under our lock: paho can call this holding its queue lock (a write failing right after
        # the CONNACK), which publish takes under ours.  A publish racing with this store is still
        # sent once: paho takes it into the queue dropped at the connect, and the Outbox keeps it
        # (refused: not connected) or has it in flight, unacknowledged, until then.
        self._closed.set()
        was, self._connected = self._connected, False
        refused, self._refused = self._refused, False
        if self._stopping:
            return
        if not was:
            if not refused:  # a refusal already said why; this is the socket closing after it
                self._turned_away(reason_code)
            return
        self.counters["disconnects"] += 1
        self.last_error = f"connection lost: {reason_code}"
        if reason_code == _KEEPALIVE_TIMEOUT:
            self.last_error += " (the broker stopped answering: hung, or the network dropped)"
        if self._takeover.closed(time.monotonic() - self._connected_at):
            # Read at the wait after this callback; paho restarts from it after each accepted connect.
            client.reconnect_delay_set(min_delay=self._takeover.delay, max_delay=self._max_delay)
        if self._takeover.suspected:
            # The broker closes a connection when another client connects with the same client id:
            # two speakers configured with the same device.id keep throwing each other out.
            self.last_error = (
                f"the broker keeps closing the connection soon after it opens: is another speaker "
                f"using the same device id (client id {self._client_id!r})? Reconnecting less often"
            )
            # Said once: the two go on reconnecting in turn for as long as both run.
            log.log(logging.ERROR if self._takeover.first else logging.DEBUG, "%s", self.last_error)
        else:
            log.warning("MQTT connection lost (%s); reconnecting with back-off", reason_code)

    def _turned_away(self, reason_code: Any) -> None:
        """The connection closed before the broker answered the CONNECT: without this it would fail
        silently, over and over (last_error empty); settings.turned_away says what to check."""
        self.last_error = turned_away(self._settings, str(reason_code), reason_code == _KEEPALIVE_TIMEOUT)
        log.warning("%s; retrying with back-off", self.last_error)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self._on_message_cb(message.topic, bytes(message.payload), bool(message.retain))
