"""TakeoverWatch: how the connection tells another speaker with its device id (the broker closing each
connection soon after it opens) from an ordinary outage, and the reconnect wait it asks for."""

from __future__ import annotations

from moodspeaker.mqtt.takeover import SHORT_CONNECTION_S, TAKEOVER_SUSPECT, TakeoverWatch


def test_a_run_of_short_connections_makes_the_reconnects_wait_longer_up_to_the_longest_wait() -> None:
    watch = TakeoverWatch(max_delay=8)
    for _ in range(TAKEOVER_SUSPECT - 1):
        assert watch.closed(0.5) is False and not watch.suspected and watch.delay == 1
    assert watch.closed(0.5) is True and watch.suspected and watch.first and watch.delay == 2
    delays = []
    for _ in range(4):  # the other speaker's waits grow too: the connections last longer, up to 8 s
        watch.closed(7.0)
        delays.append(watch.delay)
    assert delays == [4, 8, 8, 8] and watch.suspected and not watch.first


def test_a_connection_held_longer_than_the_longest_wait_ends_the_suspicion() -> None:
    watch = TakeoverWatch(max_delay=8)
    for _ in range(TAKEOVER_SUSPECT):
        watch.closed(0.5)
    assert watch.suspected
    assert watch.closed(8 + SHORT_CONNECTION_S + 1) is True  # the other speaker is gone
    assert (watch.suspected, watch.delay, watch.in_a_row) == (False, 1, 0)


def test_short_connections_that_are_not_in_a_row_are_an_unsteady_network() -> None:
    watch = TakeoverWatch(max_delay=60)
    for lasted in (0.5, 0.5, 600.0, 0.5, 0.5, 600.0):
        assert watch.closed(lasted) is False
    assert not watch.suspected and watch.delay == 1


def test_the_longest_wait_caps_the_first_one_too() -> None:
    watch = TakeoverWatch(max_delay=1)  # reconnect_max_s = 1: no back-off asked for, none given
    for _ in range(TAKEOVER_SUSPECT + 3):
        watch.closed(0.5)
    assert watch.suspected and watch.delay == 1
