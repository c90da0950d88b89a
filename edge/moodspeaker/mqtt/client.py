"""The broker connection: paho-mqtt 2.x with TLS, credentials, last will, back-off and a bounded outbox.

The appliance must never wait for the broker.  `publish` only touches memory: a retained message is
remembered as the latest value of its topic (so memory is bounded by the number of topics, and
the whole state is re-sent after every reconnect), an event goes to a bounded deque while the broker
is unreachable (oldest dropped first, counted; sent afterwards only if at most EVENT_MAX_AGE_S old).
After a (re)connect nothing goes out until the owner announces itself: what it sends `at_once`
(availability, discovery) first, then `resend` sends everything else, each topic once.
paho's own network thread reconnects with a delay that doubles from 1 s up to `reconnect_max_s`,
and its in-flight queue is capped as well.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from moodspeaker.config.schema import MqttConfig

log = logging.getLogger(__name__)

QOS = 1
#: A connection closed this soon after it opened counts as "short"; this many in a row look like a
#: client-id takeover (another speaker with the same device id).
SHORT_CONNECTION_S = 5.0
TAKEOVER_SUSPECT = 3
#: Events kept during an outage are sent afterwards only if they are at most this old: a mood change
#: from ten minutes ago must not fire a home automation now.  (State topics are always re-sent.)
EVENT_MAX_AGE_S = 120.0
ONLINE = b"online"
OFFLINE = b"offline"


class MqttSetupError(ValueError):
    """The [mqtt] settings cannot work together; `problems` lists each as a full sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid MQTT settings:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class ConnectionSettings:
    """What the connection needs, checked as a whole (the schema checks each setting alone)."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    tls: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    keepalive_s: int = 30
    reconnect_max_s: float = 60.0
    outbox_size: int = 200

    @classmethod
    def from_config(cls, cfg: MqttConfig) -> ConnectionSettings:
        problems: list[str] = []
        if not cfg.host.strip():
            problems.append("mqtt.host is empty: name the broker's host or address")
        if bool(cfg.username) != bool(cfg.password):
            missing = "mqtt.password" if cfg.username else "mqtt.username"
            problems.append(f"mqtt.username and mqtt.password must be set together ({missing} is empty)")
        if bool(cfg.cert_file) != bool(cfg.key_file):
            problems.append("mqtt.cert_file and mqtt.key_file must be set together for TLS client auth")
        files = (("ca_file", cfg.ca_file), ("cert_file", cfg.cert_file), ("key_file", cfg.key_file))
        for key, path in files:
            if not path:
                continue
            if not cfg.tls:
                problems.append(f"mqtt.{key} is set but mqtt.tls is off: turn TLS on or clear it")
            elif not Path(path).expanduser().is_file():
                problems.append(f"mqtt.{key} = {path!r}: no such file")
        if problems:
            raise MqttSetupError(problems)
        return cls(
            host=cfg.host.strip(),
            port=cfg.port,
            username=cfg.username,
            password=cfg.password,
            tls=cfg.tls,
            ca_file=str(Path(cfg.ca_file).expanduser()) if cfg.ca_file else "",
            cert_file=str(Path(cfg.cert_file).expanduser()) if cfg.cert_file else "",
            key_file=str(Path(cfg.key_file).expanduser()) if cfg.key_file else "",
            keepalive_s=cfg.keepalive_s,
            reconnect_max_s=cfg.reconnect_max_s,
            outbox_size=cfg.outbox_size,
        )


class Connection:
    """One paho client; callbacks run on paho's network thread and must stay short."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        client_id: str,
        will_topic: str | None,
        subscriptions: Sequence[str],
        on_connected: Callable[[], None],
        on_message: Callable[[str, bytes, bool], None],
    ) -> None:
        self._settings = settings
        self._will_topic = will_topic
        self._subscriptions = list(subscriptions)
        self._on_connected = on_connected
        self._on_message_cb = on_message
        self._lock = threading.Lock()
        self._retained: dict[str, bytes] = {}
        self._outbox: deque[tuple[str, bytes, float]] = deque(maxlen=settings.outbox_size)
        self._connected = False
        self._announcing = False  # connected, but `resend` has not run yet: publishes wait for it
        self._stopping = False
        self._client_id = client_id
        self._connected_at = 0.0
        self._short_connections = 0
        self._refused = False  # the broker's CONNACK refused the attempt (its reason is last_error)
        self.counters = dict.fromkeys(
            ("connects", "disconnects", "published", "dropped", "expired", "received"), 0
        )
        self.last_error = ""
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        if settings.username:
            client.username_pw_set(settings.username, settings.password)
        if settings.tls:
            client.tls_set(
                ca_certs=settings.ca_file or None,
                certfile=settings.cert_file or None,
                keyfile=settings.key_file or None,
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        if will_topic is not None:
            client.will_set(will_topic, OFFLINE, qos=QOS, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=max(1, round(settings.reconnect_max_s)))
        client.max_inflight_messages_set(100)
        client.max_queued_messages_set(settings.outbox_size + 100)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_socket_open = self._on_socket_open
        client.on_message = self._on_message
        self._client = client

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background: an absent broker is retried with back-off, never waited for."""
        s = self._settings
        self._client.connect_async(s.host, s.port, keepalive=s.keepalive_s)
        self._client.loop_start()

    def stop(self, last: Sequence[tuple[str, bytes]] = (), timeout: float = 3.0) -> None:
        """Publish `last` (e.g. availability offline) if connected, then disconnect cleanly."""
        self._stopping = True
        if self._connected:
            infos = [self._client.publish(t, p, qos=QOS, retain=True) for t, p in last]
            self.counters["published"] += len(infos)
            for info in infos:
                try:
                    info.wait_for_publish(timeout)
                except (RuntimeError, ValueError):
                    break
        self._client.disconnect()
        self._client.loop_stop()
        self._connected = False

    @property
    def connected(self) -> bool:
        return self._connected

    # --- publishing ------------------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, retain: bool, *, at_once: bool = False) -> None:
        """Send now if possible; otherwise keep it (retained: latest per topic; events: bounded).

        Between a (re)connect and the `resend` that follows it only `at_once` messages are sent: a
        value published in that window would otherwise go out before `online` and then again.
        """
        with self._lock:
            if retain:
                self._retained[topic] = payload
            ready = self._connected and (at_once or not self._announcing)
            if ready and self._send(topic, payload, retain):
                return
            if not retain:
                if len(self._outbox) == self._outbox.maxlen:
                    self.counters["dropped"] += 1
                self._outbox.append((topic, payload, time.monotonic()))

    def clear(self, topic: str) -> None:
        """Delete a retained topic on the broker (empty retained payload) and forget it here."""
        with self._lock:
            self._retained.pop(topic, None)
            if self._connected:
                self._send(topic, b"", True)

    def resend(self, skip: Sequence[str] = ()) -> None:
        """After (re)connecting: every remembered retained value, then the events kept in the outbox;
        from then on every publish is sent at once again."""
        with self._lock:
            if not self._connected:
                return
            self._announcing = False
            for topic, payload in list(self._retained.items()):
                if topic not in skip:
                    self._send(topic, payload, True)
            oldest = time.monotonic() - EVENT_MAX_AGE_S
            while self._outbox:
                topic, payload, kept_at = self._outbox[0]
                if kept_at < oldest:
                    self.counters["expired"] += 1
                elif not self._send(topic, payload, False):
                    break
                self._outbox.popleft()

    def _send(self, topic: str, payload: bytes, retain: bool) -> bool:
        info = self._client.publish(topic, payload, qos=QOS, retain=retain)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self.counters["published"] += 1
            return True
        log.debug("publish to %s not accepted now (%s); kept for later", topic, mqtt.error_string(info.rc))
        return False

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "connected": self._connected,
                **self.counters,
                "outbox": len(self._outbox),
                "retained_topics": len(self._retained),
                "last_error": self.last_error,
            }

    # --- paho callbacks (network thread) ---------------------------------------------------------

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            self._refused = True
            self.last_error = f"broker refused the connection: {reason_code}"
            log.error(
                "MQTT broker %s:%s refused the connection: %s",
                self._settings.host,
                self._settings.port,
                reason_code,
            )
            return
        self.counters["connects"] += 1
        self.last_error = ""
        log.info("connected to MQTT broker %s:%s", self._settings.host, self._settings.port)
        if self._subscriptions:
            client.subscribe([(topic, QOS) for topic in self._subscriptions])
        self._connected_at = time.monotonic()
        with self._lock:
            self._announcing = True
            self._connected = True
        self._on_connected()

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
        was = self._connected
        self._connected = False
        refused, self._refused = self._refused, False
        if self._stopping:
            return
        if not was:
            if not refused:  # a refusal already said why; this is the socket closing after it
                self._turned_away(reason_code)
            return
        self.counters["disconnects"] += 1
        self.last_error = f"connection lost: {reason_code}"
        short = time.monotonic() - self._connected_at < SHORT_CONNECTION_S
        self._short_connections = self._short_connections + 1 if short else 0
        if self._short_connections >= TAKEOVER_SUSPECT:
            # The broker closes a connection when another client connects with the same client id:
            # two speakers configured with the same device.id keep throwing each other out.
            self.last_error = (
                f"the broker keeps closing the connection right after it opens: is another speaker "
                f"using the same device id (client id {self._client_id!r})?"
            )
            log.error("%s", self.last_error)
        else:
            log.warning("MQTT connection lost (%s); reconnecting with back-off", reason_code)

    def _turned_away(self, reason_code: Any) -> None:
        """The connection closed before the broker answered the CONNECT: without this it would fail
        silently, over and over (last_error empty).  Under TLS 1.3 the client finishes its side of the
        handshake before the broker checks the client's certificate, so a broker requiring one (or a
        plain client on a TLS port) ends the attempt here, not in on_connect_fail."""
        self.last_error = (
            f"the broker at {self._settings.host}:{self._settings.port} closed the connection before "
            f"accepting it ({reason_code}): does it require a client certificate (mqtt.cert_file, "
            "mqtt.key_file), or TLS on or off (mqtt.tls)?"
        )
        log.warning("%s; retrying with back-off", self.last_error)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.counters["received"] += 1
        self._on_message_cb(message.topic, bytes(message.payload), bool(message.retain))
