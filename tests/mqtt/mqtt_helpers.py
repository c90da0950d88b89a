"""The Home Assistant side of the MQTT tests: a plain paho subscriber recording everything it receives
(Watcher, with the Message it records) and what a newly connecting client gets as retained messages.

The broker they talk to is brokerkit's Mosquitto; the speakers behind it are speakerkit's in-memory
one (topic-mapping tests) or appliancekit's real Appliance (process tests).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

T = TypeVar("T")


@dataclass
class Message:
    topic: str
    payload: bytes
    retain: bool
    at: float

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Watcher:
    """A plain paho subscriber recording everything it receives (as Home Assistant would see it).

    Besides its `topics` it subscribes to a sync topic of its own, whose messages it does not record:
    `sync()` sends one through the broker and waits for it, so every message the broker had queued for
    the watcher before (retained ones at the subscription, anything published earlier) has arrived.
    That replaces a fixed settling sleep, which on a loaded machine could end before they did."""

    port: int
    topics: tuple[str, ...] = ("#",)
    messages: list[Message] = field(default_factory=list)
    client_kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._connected = threading.Event()
        self._subscribed = threading.Event()
        self._sync_topic = f"test-sync/watcher-{uuid.uuid4().hex}"
        self._synced: set[bytes] = set()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watcher-{id(self)}")
        if "tls" in self.client_kwargs:
            ca, cert, key = self.client_kwargs["tls"]
            self.client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
        if "auth" in self.client_kwargs:
            self.client.username_pw_set(*self.client_kwargs["auth"])
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe([(t, 1) for t in (*self.topics, self._sync_topic)])
        self._connected.set()

    def _on_subscribe(self, *_: Any) -> None:
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            if msg.topic == self._sync_topic:
                self._synced.add(bytes(msg.payload))
            else:
                self.messages.append(
                    Message(msg.topic, bytes(msg.payload), bool(msg.retain), time.monotonic())
                )
            self._lock.notify_all()

    def start(self) -> Watcher:
        """Connected and subscribed (the broker's SUBACK received): whatever is published from now on
        reaches the watcher."""
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert self._connected.wait(30), "watcher could not connect"
        assert self._subscribed.wait(30), "the broker never confirmed the watcher's subscription"
        return self

    def sync(self, timeout: float = 30.0) -> None:
        """Return once a message sent now through the broker came back: Mosquitto queues a client's
        messages in order, and the retained messages of a subscription were queued with its SUBACK,
        so by then they (and everything published before) have arrived."""
        token = json.dumps({"sync": uuid.uuid4().hex}).encode()  # JSON, as what other watchers check
        self.publish(self._sync_topic, token)
        self.wait(lambda _: token in self._synced, timeout)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(30)

    def on(self, topic: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def last(self, topic: str) -> Message | None:
        found = self.on(topic)
        return found[-1] if found else None

    def wait(self, predicate: Callable[[list[Message]], T | None], timeout: float = 30.0) -> T:
        """Wait until `predicate(messages)` is truthy; return its value (never None).  The timeout is
        generous (a loaded CI machine): it only runs out when the test fails anyway."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                value = predicate(list(self.messages))
                if value:
                    return value
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = "\n".join(f"  {m.topic} {m.payload[:120]!r}" for m in self.messages[-30:])
                    raise AssertionError(f"timed out waiting; last messages:\n{seen}")
                self._lock.wait(remaining)

    def wait_for(
        self, topic: str, match: Callable[[Message], bool] = lambda m: True, timeout: float = 30.0
    ) -> Message:
        return self.wait(
            lambda msgs: next((m for m in reversed(msgs) if m.topic == topic and match(m)), None), timeout
        )

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


def retained(port: int, topic_filter: str, **client_kwargs: Any) -> dict[str, bytes]:
    """What a newly connecting client (HA after a restart) receives as retained messages: all of them
    (the watcher syncs through the broker after subscribing, instead of sleeping a while)."""
    w = Watcher(port, (topic_filter,), client_kwargs=client_kwargs).start()
    try:
        w.sync()
    finally:
        w.stop()
    return {m.topic: m.payload for m in w.messages if m.retain}


def ha_render(template: str, payload: Mapping[str, Any]) -> str:
    """A discovery template rendered as Home Assistant renders it (a sandboxed Jinja environment) with
    `value_json` = `payload`; "None" is what HA then shows as unknown.  A template doing arithmetic on a
    null raises here, as it makes HA log a template error."""
    from jinja2.sandbox import SandboxedEnvironment  # noqa: PLC0415 (only the template tests need it)

    return SandboxedEnvironment().from_string(template).render(value_json=payload)
