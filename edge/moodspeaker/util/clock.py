"""Monotonic times and wall-clock dates: the one conversion between the two clocks.

Why: the records of what was played (the service's track starts and flips, the player's play
history) are timed on the monotonic clock, so their age decides (a wall clock set by NTP after boot
moves); but the privacy retention's cut-off is a wall-clock time (`time.time()`), and the data export
dates the records by the wall clock.  Each of them converted the same way by hand; here it is once.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def monotonic_of(at: float) -> float:
    """The monotonic time of the wall-clock time `at` (a cut-off), as the records' ages are measured."""
    return time.monotonic() - (time.time() - at)


def wall_dates() -> Callable[[float], float]:
    """A converter of monotonic times to wall-clock dates (`time.time()`, to the millisecond), both
    clocks read once: the dates of one export are consistent with one another."""
    now, mono = time.time(), time.monotonic()
    return lambda at: round(now - (mono - at), 3)
