"""The Outbox, the bridge's own ledger of what the broker is still owed (paho's queue is dropped at each
connect): a refused message is sent again, never lost; events never acknowledged go back with their first
time, so the age rule holds for them.  `send` stands for paho: it takes a message (an Ack the test can
acknowledge) or refuses it (its queue full)."""

from __future__ import annotations

from dataclasses import dataclass, field

from moodspeaker.mqtt.outbox import Outbox


@dataclass
class Ack:
    published: bool = False

    def is_published(self) -> bool:
        return self.published


@dataclass
class Paho:
    room: int = 100
    sent: list[tuple[str, bytes, bool]] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)

    def send(self, topic: str, payload: bytes, retain: bool) -> Ack | None:
        if self.room <= 0:
            return None
        self.room -= 1
        self.sent.append((topic, payload, retain))
        self.acks.append(Ack())
        return self.acks[-1]


def _box(size: int = 10) -> tuple[Outbox, dict[str, int]]:
    counters = {"dropped": 0, "expired": 0}
    return Outbox(size, counters), counters


def test_a_refused_retained_topic_is_sent_later_with_its_latest_value_and_order_holds() -> None:
    box, _ = _box()
    paho = Paho(room=1)
    box.remember("a", b"1")
    box.remember("b", b"1")
    box.hold("e", b"event", now=0.0)
    assert not box.flush(paho.send, now=0.0, max_age=60)  # only "a" fits
    box.remember("b", b"2")  # a newer value while it waits
    paho.room = 10
    assert box.flush(paho.send, now=1.0, max_age=60)
    assert paho.sent == [("a", b"1", True), ("b", b"2", True), ("e", b"event", False)]
    assert box.unsent == 0 and box.events == 0


def test_unacknowledged_events_come_back_first_with_their_first_time() -> None:
    box, counters = _box()
    paho = Paho()
    box.hold("e", b"old", now=0.0)
    box.hold("e", b"acked", now=0.0)
    box.flush(paho.send, now=0.0, max_age=60)
    paho.acks[1].published = True  # the broker acknowledged only the second
    box.hold("e", b"kept", now=5.0)  # published while the outage was not noticed yet... then kept
    assert box.reconnected() == 1
    box.resend_all()
    paho.sent.clear()
    assert box.flush(paho.send, now=30.0, max_age=60)  # both still recent: in their order
    assert [p for _, p, _ in paho.sent] == [b"old", b"kept"]
    box.reconnected()  # none acknowledged again, another outage; much later now
    assert box.flush(paho.send, now=100.0, max_age=60)
    assert counters["expired"] == 2  # their age counts from the first publish, not the re-send


def test_put_back_events_keep_the_bound_dropping_the_oldest() -> None:
    box, counters = _box(size=3)
    paho = Paho()
    for i in range(3):
        box.hold("e", b"%d" % i, now=0.0)
    box.flush(paho.send, now=0.0, max_age=60)
    for i in range(3, 5):
        box.hold("e", b"%d" % i, now=1.0)
    box.reconnected()
    paho.sent.clear()
    box.flush(paho.send, now=2.0, max_age=60)
    assert [p for _, p, _ in paho.sent] == [b"2", b"3", b"4"] and counters["dropped"] == 2


def test_dropped_events_are_neither_kept_nor_put_back() -> None:
    box, _ = _box()
    paho = Paho()
    box.hold("mood", b"in flight", now=0.0)
    box.flush(paho.send, now=0.0, max_age=60)
    box.hold("mood", b"kept", now=0.0)
    box.hold("error", b"kept", now=0.0)
    assert box.drop_events({"mood"}) == 2
    box.reconnected()
    paho.sent.clear()
    box.flush(paho.send, now=0.0, max_age=60)
    assert paho.sent == [("error", b"kept", False)]


def test_a_message_ahead_of_its_topic_goes_before_it_on_each_connection_until_acknowledged() -> None:
    """A removal before the discovery that replaces it on the broker: the latest value alone would lose
    it, so it is kept apart and sent ahead of the topic's value until the broker acknowledges it."""
    box, _ = _box()
    paho = Paho()
    box.precede("d", b"removal")
    box.precede("d", b"removal")  # the same twice (the broker kept the old discovery again): once
    box.remember("d", b"discovery")
    assert box.flush(paho.send, now=0.0, max_age=60)
    box.remember("d", b"profiles changed")  # on the same connection: the removal went before already
    assert box.flush(paho.send, now=0.0, max_age=60)
    assert [p for _, p, _ in paho.sent] == [b"removal", b"discovery", b"profiles changed"]
    for unacknowledged in (True, False):
        box.reconnected()  # the first time none was acknowledged; then the removal was
        box.resend_all()
        paho.sent.clear()
        assert box.flush(paho.send, now=0.0, max_age=60)
        sent = [p for _, p, r in paho.sent if r]
        assert sent == ([b"removal"] if unacknowledged else []) + [b"profiles changed"]
        for ack in paho.acks:
            ack.published = True
    box.precede("d", b"another")  # paho refuses: the order holds, the value waits behind it
    box.remember("d", b"discovery")
    paho.room, paho.sent = 1, []
    assert not box.flush(paho.send, now=0.0, max_age=60)
    paho.room = 10
    assert box.flush(paho.send, now=0.0, max_age=60)
    assert [p for _, p, _ in paho.sent] == [b"another", b"discovery"]
