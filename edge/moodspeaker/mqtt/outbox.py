"""What the broker connection still owes the broker, kept by the bridge itself rather than by paho.

paho keeps a queue of its own: every QoS-1 message it accepted and the broker has not acknowledged.
After a silent outage (a frozen broker, a Wi-Fi drop: noticed only after about twice the keepalive)
that queue holds everything written into the dead link, and at the reconnect paho re-sends it before
anything else, whatever its age: stale moods and `mood_changed` events fired home automations long
after the fact, ahead of `online`.  Its queue also has a cap, and once full paho refused the
reconnect's `online` and discovery, which nobody retried: Home Assistant showed the speaker
unavailable while it played.  So the connection drops paho's queue at every connect, and this ledger
is the only source of what is sent afterwards:

- the latest value of every retained topic, re-sent in full after each connect, and the topics whose
  latest value paho has not accepted yet (refused: its queue full), retried until it does;
- the retained messages that must reach the broker ahead of their topic's latest value though it
  replaces them there (the removal of Home Assistant entities before the discovery that announces
  them anew): sent before it on every connection until the broker acknowledges one (`precede`);
- the events kept for later (bounded, oldest dropped first and counted), sent only if at most
  `max_age` old;
- the events paho accepted but the broker has not acknowledged (PUBACK): at a connect they go back
  to the front of the kept events with the time they were first published, so the age rule holds
  for them too.

Not thread-safe: the Connection's lock guards it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Protocol


class Ack(Protocol):
    """paho's MQTTMessageInfo as the ledger uses it: has the broker acknowledged the message?"""

    def is_published(self) -> bool: ...


#: Sends one message (topic, payload, retain): its Ack, or None when paho did not take it.
Send = Callable[[str, bytes, bool], Ack | None]


@dataclass
class Ahead:
    """A retained message sent ahead of its topic's latest value; `ack` is its send on this connection
    (None: not sent on it yet)."""

    payload: bytes
    ack: Ack | None = None


@dataclass(frozen=True)
class Held:
    """An event and the monotonic time it was first published (its age survives re-sends)."""

    topic: str
    payload: bytes
    kept_at: float


def _acked(ack: Ack) -> bool:
    try:
        return ack.is_published()
    except (RuntimeError, ValueError):  # paho's answer for a message it never took
        return False


class Outbox:
    """The retained values, the events kept and the events in flight; `counters` gets `dropped` and
    `expired` (the connection's stats)."""

    def __init__(self, size: int, counters: dict[str, int]) -> None:
        self.retained: dict[str, bytes] = {}
        self._unsent: dict[str, None] = {}  # retained topics still to send, in order (a set with order)
        self._ahead: dict[str, list[Ahead]] = {}  # sent before their topic's value until acknowledged
        self._events: deque[Held] = deque()
        self._flight: deque[tuple[Ack, Held]] = deque()
        self._size = size
        self._counters = counters

    @property
    def events(self) -> int:
        return len(self._events)

    @property
    def unsent(self) -> int:
        return len(self._unsent)

    def remember(self, topic: str, payload: bytes) -> None:
        """A retained topic's new value (an empty payload deletes it on the broker): to be sent."""
        self.retained[topic] = payload
        self._unsent.setdefault(topic)

    def precede(self, topic: str, payload: bytes) -> None:
        """A retained message for `topic` that must reach the broker before the topic's next value,
        which replaces it there: kept apart from the latest value and sent ahead of it (again on each
        connection) until the broker acknowledges it; the same one twice is kept once."""
        ahead = self._ahead.setdefault(topic, [])
        if all(a.payload != payload for a in ahead):
            ahead.append(Ahead(payload))
        self._unsent.setdefault(topic)

    def hold(self, topic: str, payload: bytes, now: float) -> None:
        """An event to send (now, or after the reconnect); when full, the oldest kept goes."""
        if len(self._events) >= self._size:
            self._events.popleft()
            self._counters["dropped"] += 1
        self._events.append(Held(topic, payload, now))

    def send_now(self, topic: str, send: Send) -> None:
        """Send one retained topic ahead of everything else (availability, discovery)."""
        if self._send_retained(topic, send):
            self._unsent.pop(topic, None)

    def _send_retained(self, topic: str, send: Send) -> bool:
        """`topic`'s messages still to go ahead of its value on this connection, then its latest
        value; False when paho refused one (the rest waits: the order holds)."""
        for ahead in self._ahead.get(topic, ()):
            if ahead.ack is None:
                ahead.ack = send(topic, ahead.payload, True)
                if ahead.ack is None:
                    return False
        payload = self.retained.get(topic)
        return payload is None or send(topic, payload, True) is not None

    def resend_all(self, skip: Collection[str] = (), renewed: Collection[str] = ()) -> None:
        """After a connect every retained value goes out again (`skip`: those sent just before), but
        not those `renewed` (published anew right after: the value remembered, even one still owed,
        would go out first and then the new one)."""
        for topic in self.retained:
            if topic not in skip:
                self._unsent.setdefault(topic)
        for topic in renewed:
            self._unsent.pop(topic, None)

    def flush(self, send: Send, now: float, max_age: float) -> bool:
        """Send what is owed, in order: retained topics, then events (those older than `max_age`
        expire).  Stops at the first message paho refuses (kept, for the next flush); True when
        everything went."""
        while self._unsent:
            topic = next(iter(self._unsent))
            if not self._send_retained(topic, send):
                return False
            del self._unsent[topic]
        oldest = now - max_age
        while self._events:
            held = self._events[0]
            if held.kept_at < oldest:
                self._counters["expired"] += 1
            else:
                ack = send(held.topic, held.payload, False)
                if ack is None:
                    return False
                self._fly(ack, held)
            self._events.popleft()
        return True

    def _fly(self, ack: Ack, held: Held) -> None:
        while self._flight and _acked(self._flight[0][0]):
            self._flight.popleft()
        if len(self._flight) > self._size:  # an acknowledgement out of order held the front: sweep
            self._flight = deque(f for f in self._flight if not _acked(f[0]))
        self._flight.append((ack, held))

    def reconnected(self) -> int:
        """A new connection (paho's queue dropped): the events the broker never acknowledged go back
        to the front of the kept events, with their first time; how many."""
        back = [held for ack, held in self._flight if not _acked(ack)]
        self._flight.clear()
        for topic, ahead in list(self._ahead.items()):  # acknowledged: done; the others go again
            self._ahead[topic] = [Ahead(a.payload) for a in ahead if a.ack is None or not _acked(a.ack)]
            if not self._ahead[topic]:
                del self._ahead[topic]
        events = [*back, *self._events]
        over = max(0, len(events) - self._size)
        self._counters["dropped"] += over  # the oldest go first
        self._events = deque(events[over:])
        return len(back)

    def drop_events(self, topics: Collection[str]) -> int:
        """Forget the kept and unacknowledged events on `topics` (privacy: what a deletion took back
        must not reach the broker after it); how many were dropped."""
        before = len(self._events) + len(self._flight)
        self._events = deque(h for h in self._events if h.topic not in topics)
        self._flight = deque(f for f in self._flight if f[1].topic not in topics)
        return before - len(self._events) - len(self._flight)
