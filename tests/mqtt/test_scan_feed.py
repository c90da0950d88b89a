"""ScanFeed, the pacing of the library scan's `state/scan` topic, on its own (pure: the time is passed in).

The payloads come from the service's real ScanRun bookkeeping through the real payload builder
(`scan_value`), as the bridge gets them from `state()["scan"]`; `_offer` applies the feed's answer as
the bridge does.  test_mqtt_scan shows the same rules end to end on a real broker.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from moodspeaker.mqtt.payloads import IDLE, SCANNING, scan_value
from moodspeaker.mqtt.scan_feed import SCAN_POLL_S, ScanFeed
from moodspeaker.service.scan_state import ScanRun

POLL = 2.0  # not SCAN_POLL_S, so that a feed ignoring its poll_s is caught
T0 = 100.0


def _offer(feed: ScanFeed, run: ScanRun, now: float) -> bool:
    """The bridge's step for a new scan payload: True when it went out (and the feed was told)."""
    payload = scan_value(run.snapshot())
    if feed.held(payload, now):
        return False
    feed.published(payload, now)
    return True


def _scanning() -> tuple[ScanFeed, ScanRun]:
    """A feed that published a running scan's first pass (walking, one file seen) at T0."""
    feed, run = ScanFeed(POLL), ScanRun()
    run.request(T0 - 1.0)
    run.begin_pass()
    run.progress("walking", {"seen": 1})
    assert _offer(feed, run, T0)
    assert scan_value(run.snapshot())["value"] == SCANNING
    return feed, run


def test_the_poll_interval_defaults_to_scan_poll_s() -> None:
    feed, run = ScanFeed(), ScanRun()
    run.request(T0)
    assert _offer(feed, run, T0)
    assert feed.wake(T0 + 100.0) == T0 + SCAN_POLL_S


def test_new_counts_alone_wait_a_poll_interval_from_the_last_publication() -> None:
    feed, run = _scanning()
    for n, now in enumerate((T0, T0 + 0.5, T0 + POLL - 0.01), start=2):
        run.progress("walking", {"seen": n})
        assert not _offer(feed, run, now), f"seen {n} at +{now - T0} s"
    run.progress("walking", {"seen": 10, "added": 3})
    assert _offer(feed, run, T0 + POLL)  # a held change did not push the next poll back
    run.progress("walking", {"seen": 11})
    assert not _offer(feed, run, T0 + POLL + 0.1)  # the interval starts again at each publication
    assert _offer(feed, run, T0 + 2 * POLL)


def _queue(run: ScanRun) -> None:
    assert not run.request(T0)  # a scan runs: one more pass follows


def _phase(run: ScanRun) -> None:
    run.progress("analysing", {"seen": 1})


def _end(run: ScanRun) -> None:
    run.end_pass("1 new, 0 changed, 0 removed", T0)


def _next_pass(run: ScanRun) -> None:
    assert not run.end_pass("1 new", T0)  # one more pass was queued
    run.begin_pass()


@pytest.mark.parametrize(
    ("field", "value"), [("phase", "analysing"), ("pass", 2), ("queued", True), ("value", IDLE)]
)
def test_a_change_of_state_goes_out_at_once_even_with_new_counts(field: str, value: object) -> None:
    feed, run = _scanning()
    payload = scan_value(run.snapshot())
    assert payload[field] != value
    changed = {**payload, field: value, "seen": 2}
    assert feed.held({**payload, "seen": 2}, T0 + 0.1)  # the counts alone would wait
    assert not feed.held(changed, T0 + 0.1)


def test_a_real_run_of_two_passes_goes_out_step_by_step() -> None:
    """Start, a queued pass, the next pass, a new phase and the end each go out within the interval
    of the last publication; the counts in between do not."""
    feed, run = _scanning()
    now = T0
    steps: list[tuple[Callable[[], None], bool]] = [
        (lambda: run.progress("walking", {"seen": 2}), False),
        (lambda: _queue(run), True),  # asked again while it runs
        (lambda: run.progress("walking", {"seen": 3}), False),
        (lambda: _next_pass(run), True),  # the merged pass
        (lambda: run.progress("starting", {"seen": 1}), False),
        (lambda: _phase(run), True),
        (lambda: run.progress("analysing", {"seen": 1, "done": 1, "total": 2}), False),
        (lambda: _end(run), True),
    ]
    for n, (step, goes_out) in enumerate(steps):
        now += 0.1
        step()
        assert _offer(feed, run, now) is goes_out, f"step {n}: {scan_value(run.snapshot())}"
    assert scan_value(run.snapshot())["pass"] == 2
    assert not feed.scanning


def test_the_start_goes_out_at_once_after_the_last_run_ended() -> None:
    feed, run = _scanning()
    _end(run)
    assert _offer(feed, run, T0 + 0.1)
    run.request(T0 + 0.2)
    run.begin_pass()
    run.progress("walking", {"seen": 1})
    assert _offer(feed, run, T0 + 0.3)


def test_idle_payloads_are_never_held() -> None:
    feed, run = ScanFeed(POLL), ScanRun()
    assert scan_value(run.snapshot())["value"] == IDLE  # before any scan
    assert _offer(feed, run, T0)
    run.request(T0)
    run.begin_pass()
    _end(run)
    assert _offer(feed, run, T0 + 0.1)  # an idle payload with a new result, within the interval


def test_no_poll_before_any_scan_nor_after_it_ended() -> None:
    feed, run = ScanFeed(POLL), ScanRun()
    assert feed.wake(T0 + 50.0) == T0 + 50.0
    assert not feed.poll_due(T0 + 1e6)
    assert _offer(feed, run, T0)  # idle
    assert feed.wake(T0 + 50.0) == T0 + 50.0
    assert not feed.poll_due(T0 + 1e6)
    feed, run = _scanning()
    _end(run)
    assert _offer(feed, run, T0 + 0.5)
    assert not feed.scanning
    assert feed.wake(T0 + 50.0) == T0 + 50.0
    assert not feed.poll_due(T0 + 1e6)


def test_while_scanning_the_state_is_looked_at_each_poll_interval() -> None:
    feed, _ = _scanning()
    assert feed.scanning
    assert feed.wake(T0 + 50.0) == T0 + POLL
    assert feed.wake(T0 + 0.5) == T0 + 0.5  # the caller's own deadline comes first
    assert not feed.poll_due(T0 + POLL - 0.01)
    assert feed.poll_due(T0 + POLL)
    feed.polled(T0 + POLL + 0.25)  # read, nothing new to publish
    assert not feed.poll_due(T0 + 2 * POLL)
    assert feed.wake(T0 + 50.0) == T0 + 2 * POLL + 0.25
    assert feed.poll_due(T0 + 2 * POLL + 0.25)


def test_a_publication_moves_the_next_poll() -> None:
    feed, run = _scanning()
    _phase(run)
    assert _offer(feed, run, T0 + 0.5)
    assert feed.wake(T0 + 50.0) == T0 + 0.5 + POLL
    assert not feed.poll_due(T0 + POLL)
