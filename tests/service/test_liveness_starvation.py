"""The liveness check before each systemd ping counts a stuck inference step as the watchdog does.

Why: the main loop stops pinging systemd while inference has been busy for more than twice its
timeout without the watchdog restarting it (a backstop).  It read the raw busy time, so the first
pass after a host suspend (or a swap storm) found the step that began before the pause "stuck" for
the whole pause and skipped its ping, before the watchdog's own tick could see that the process, not
the step, had stood still.  It now asks the watchdog (`Watchdog.stuck_for`), which counts only time
it watched on time.  A step that really hangs afterwards is still reported.  The watchdog and the
heartbeat run on a clock the test sets: no sleeps, no timed assertions.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from servicekit import Script, running

from hungkit import Clock  # the watchdog's clock, moved by the test (hungkit: the player's watchdog)
from moodspeaker.service.watchdog import Heartbeat, Watchdog
from polling import until

PERIOD_S = 0.5


def ticks(dog: Watchdog, clock: Clock, seconds: float) -> None:
    """The watchdog ticks on time for `seconds`."""
    for _ in range(round(seconds / PERIOD_S)):
        clock.now += PERIOD_S
        assert not dog.check(clock.now)


def test_stuck_for_counts_only_watched_time() -> None:
    clock = Clock(100.0)
    heartbeat = Heartbeat(clock)
    dog = Watchdog(heartbeat, lambda _g: None, timeout_s=5.0, period_s=PERIOD_S, clock=clock)
    assert heartbeat.begin(0)
    ticks(dog, clock, 3.0)
    assert dog.stuck_for() == 3.0  # on the watchdog's own clock by default
    clock.now += 600.0  # a suspend: the watchdog's next tick has not run yet
    assert heartbeat.stuck_for(clock.now) == 603.0
    assert dog.stuck_for(clock.now) == 0.0  # was 603: the step stood still with the process
    assert not dog.check(clock.now)  # the tick after the pause: starved, not stuck
    assert dog.stuck_for() == 0.0
    ticks(dog, clock, 2.0)
    assert dog.stuck_for() == 2.0  # a step hanging on counts again from the resume


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_watchdog_thread_that_died_leaves_the_raw_busy_time() -> None:
    """Its ticks stop for good, which must not pass for a process starved for ever: the backstop
    then sees the step hang."""
    clock = Clock(100.0)
    heartbeat = Heartbeat(clock)

    def broken(_message: str) -> None:
        raise RuntimeError("a bug in the report")

    dog = Watchdog(
        heartbeat, lambda _g: None, timeout_s=1.0, period_s=0.05, late_s=10.0, clock=clock, on_restart=broken
    )
    dog.start()
    try:
        assert heartbeat.begin(0)
        clock.now += 2.0  # the thread's next tick trips, and the report raises out of its loop
        until(lambda: not dog._thread.is_alive(), what="the watchdog thread to die")
        assert heartbeat.begin(heartbeat.generation)  # the restarted step hangs too
        clock.now += 100.0
        assert dog.stuck_for() == 100.0
    finally:
        dog.stop()


def test_liveness_after_a_suspend_during_a_step(tmp_path: Path) -> None:
    with running(tmp_path, Script("happy"), **{"web.enabled": False}) as (app, _control, _events):
        timeout = app.config.classifier.stuck_timeout_s
        app.watchdog.stop()  # the appliance's watchdog makes way for one on the test's clock
        clock = Clock(time.monotonic() - 3600.0)  # the step began an hour ago, as monotonic time reads
        heartbeat = Heartbeat(clock)
        # a timeout the watchdog never reaches here: what is tested is the liveness backstop
        dog = Watchdog(heartbeat, lambda _g: None, timeout_s=1000.0, period_s=PERIOD_S, clock=clock)
        app._heartbeat, app.watchdog = heartbeat, dog
        assert heartbeat.begin(0)
        ticks(dog, clock, timeout)  # busy, under the backstop
        clock.now = time.monotonic()  # then the host slept for the rest of the hour
        assert app.liveness_problem() == "", "one pass after the suspend skipped its systemd ping"
        assert not dog.check(clock.now)
        assert app.liveness_problem() == ""
        # the step hangs for real now, the watchdog on time (and not restarting it): reported
        ticks(dog, clock, 2 * timeout + 1.0)
        assert app.liveness_problem() == ""
        ticks(dog, clock, PERIOD_S)
        assert app.liveness_problem().startswith("inference has been stuck for")
