"""The inference watchdog does not restart a healthy step the whole process was starved through.

Why: on a Pi under load (swap, a thermal throttle, an index scan) or across a host suspend the
process stands still for seconds, the stage thread with it; the watchdog then found the step that
began before the pause "stuck" for longer than its 5 s and restarted a healthy stage (its result
dropped, the pipeline rebuilt).  A tick that comes much later than its period means the process was
starved: the stuck time counts from that tick.  A real hang, the watchdog ticking on time, still
trips within the timeout.  The watchdog and the heartbeat run on a clock the test sets: no sleeps.
"""

from __future__ import annotations

import pytest

from hungkit import Clock  # the watchdog's clock, moved by the test (hungkit: the player's watchdog)
from moodspeaker.service.watchdog import Heartbeat, Watchdog

TIMEOUT_S = 5.0
PERIOD_S = 0.5


def watched(clock: Clock) -> tuple[Heartbeat, Watchdog, list[int]]:
    """A heartbeat, its watchdog on `clock`, and the generations it restarted."""
    heartbeat = Heartbeat(clock)
    restarted: list[int] = []
    dog = Watchdog(heartbeat, restarted.append, timeout_s=TIMEOUT_S, period_s=PERIOD_S, clock=clock)
    return heartbeat, dog, restarted


def ticks(dog: Watchdog, clock: Clock, seconds: float, every: float = PERIOD_S) -> list[float]:
    """Tick on time for `seconds`; the times of the ticks that restarted the stage."""
    tripped = []
    for _ in range(round(seconds / every)):
        clock.now += every
        if dog.check(clock.now):
            tripped.append(clock.now)
    return tripped


def test_a_step_busy_across_a_starved_process_keeps_its_result() -> None:
    clock = Clock(100.0)
    heartbeat, dog, restarted = watched(clock)
    assert heartbeat.begin(0)
    assert ticks(dog, clock, 4.5) == []  # a slow step (a throttled CPU): under the timeout
    clock.now += 11.0  # the process stood still (a suspend, swap): the next tick is 11 s late
    assert not dog.check(clock.now)
    assert heartbeat.end(0), "the step was restarted although the process, not the step, was stuck"
    assert ticks(dog, clock, 30.0) == [] and restarted == []
    # the next step hangs for real, the watchdog on time: restarted at the first tick past the timeout
    assert heartbeat.begin(0)
    began = clock.now
    assert ticks(dog, clock, TIMEOUT_S) == []  # busy for exactly the timeout: not over it yet
    assert ticks(dog, clock, PERIOD_S) == [began + TIMEOUT_S + PERIOD_S]
    assert restarted == [1]


def test_a_real_hang_after_a_starved_process_still_trips_within_the_timeout() -> None:
    clock = Clock(100.0)
    heartbeat, dog, restarted = watched(clock)
    assert heartbeat.begin(0)
    assert ticks(dog, clock, 3.0) == []
    clock.now += 8.0  # starved through the step's timeout
    assert not dog.check(clock.now)
    resumed = clock.now
    # the step hangs for real now; the watchdog ticks on time, some ticks a little late (a busy
    # machine, under the lateness that means a starved process): they count
    assert ticks(dog, clock, 2.4, every=1.2) == []
    tripped = ticks(dog, clock, 3.0)
    assert tripped == [pytest.approx(resumed + 5.4)]  # the first tick past 5 s since the resume
    assert restarted == [1] and dog.restarts == 1
    assert not heartbeat.end(0)  # the abandoned step's late result is dropped
