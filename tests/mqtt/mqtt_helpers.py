"""The Home Assistant side of the MQTT tests: a plain paho subscriber recording everything it receives
(Watcher, with the Message it records) and what a newly connecting client gets as retained messages.

The broker they talk to is brokerkit's Mosquitto; the speakers behind it are speakerkit's in-memory
one (topic-mapping tests) or appliancekit's real Appliance (process tests).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
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
    """A plain paho subscriber recording everything it receives (as Home Assistant would see it)."""

    port: int
    topics: tuple[str, ...] = ("#",)
    messages: list[Message] = field(default_factory=list)
    client_kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._connected = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watcher-{id(self)}")
        if "tls" in self.client_kwargs:
            ca, cert, key = self.client_kwargs["tls"]
            self.client.tls_set(ca_certs=ca, certfile=cert, keyfile=key)
        if "auth" in self.client_kwargs:
            self.client.username_pw_set(*self.client_kwargs["auth"])
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def _on_connect(self, client: mqtt.Client, *_: Any) -> None:
        client.subscribe([(t, 1) for t in self.topics])
        self._connected.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append(Message(msg.topic, bytes(msg.payload), bool(msg.retain), time.monotonic()))
            self._lock.notify_all()

    def start(self) -> Watcher:
        self.client.connect("127.0.0.1", self.port)
        self.client.loop_start()
        assert self._connected.wait(5), "watcher could not connect"
        time.sleep(0.1)  # let the SUBACK land
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def on(self, topic: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.topic == topic]

    def last(self, topic: str) -> Message | None:
        found = self.on(topic)
        return found[-1] if found else None

    def wait(self, predicate: Callable[[list[Message]], T | None], timeout: float = 8.0) -> T:
        """Wait until `predicate(messages)` is truthy; return its value (never None)."""
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
        self, topic: str, match: Callable[[Message], bool] = lambda m: True, timeout: float = 8.0
    ) -> Message:
        return self.wait(
            lambda msgs: next((m for m in reversed(msgs) if m.topic == topic and match(m)), None), timeout
        )

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()


def retained(port: int, topic_filter: str, settle: float = 0.5, **client_kwargs: Any) -> dict[str, bytes]:
    """What a newly connecting client (HA after a restart) receives as retained messages."""
    w = Watcher(port, (topic_filter,), client_kwargs=client_kwargs).start()
    time.sleep(settle)
    w.stop()
    return {m.topic: m.payload for m in w.messages if m.retain}
