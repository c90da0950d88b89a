"""When the audio output counts as stalled: a chunk out on a channel that did not move on for a while,
counted only over the time the player thread was there to see it.

Why a module of its own: the rule is a few lines of arithmetic over the player thread's ticks, and the
part that matters (not mistaking a starved process for a dead device) is easiest to read, and to
test with times of one's choosing, apart from the mixer calls (`player.mixer`) that act on it.

A chunk that does not move on means the device stopped pulling audio (unplugged, wedged): the mixer
then treats the output as lost and reopens it.  But on a Pi under load (swap, a thermal throttle, an
index scan) or across a host suspend the whole process can stand still for seconds: SDL's audio
thread, in the same process, stood still too, and a chunk that did not move on then says nothing
about the device.  Declaring it stalled cuts a healthy song and resumes it a couple of seconds later,
which the listener hears as a skip.  So, as the Linux soft-lockup detector does after a suspend, the
watch measures the player thread's own lateness: a tick that comes long after the one before means
the process was starved, and the stall is counted again from that tick (the baseline is reset)
instead of tripping.  A device that really stopped, with the player ticking on time, still trips
within `STALL_S` of the chunk's start.
"""

from __future__ import annotations

import logging

from moodspeaker.player.deck import CHUNK_S

log = logging.getLogger(__name__)

#: A playing chunk that has not advanced after this many chunk lengths means the output stalled.
STALL_CHUNKS = 6
#: How long a chunk may stay out without moving on, while watched, before the output counts as
#: stalled (the six chunk lengths, and a second of slack for a busy machine).
STALL_S = STALL_CHUNKS * CHUNK_S + 1.0
#: A tick this long after the one before (it is due every 20 ms while playing, every 200 ms else)
#: means the player thread, and the process with it, was starved: what the output did meanwhile
#: proves nothing.  A tick that long also leaves the channel's 0.4-0.8 s of queued audio run dry.
LATE_S = 1.0


class StallWatch:
    """The player thread's ticks, and since when they have come on time (the stall's baseline)."""

    def __init__(self) -> None:
        self._last: float | None = None  # the last tick's monotonic time (None: none yet)
        self._watched_since = float("-inf")

    def tick(self, now: float) -> None:
        """The player thread follows the channels at monotonic time `now` (once per tick)."""
        last, self._last = self._last, now
        if last is not None and now - last > LATE_S:
            self._watched_since = now
            log.debug("the player ticked %.1f s late: a chunk's stall is counted from now", now - last)

    def stalled(self, chunk_started: float, now: float) -> bool:
        """Has a chunk out since `chunk_started` stayed out too long, counting only watched time?"""
        return now - max(chunk_started, self._watched_since) > STALL_S
