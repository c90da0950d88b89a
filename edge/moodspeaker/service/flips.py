"""The flips: when a mood made the music change, and the track it changed to.

The conductor records one whenever a mood read cut the playing track for a better pick or started the
music by itself (autoplay): the time (monotonic) and the first pick.  The latency benchmark and the
tests measure the reaction from them, and the export gives them (service.plays: `mood_changes`).

A flip holds no mood, but ties a time to a track played because of the mood read then: personal data
under the privacy retention (`forget_before`, from `delete_data(before)`) and "delete everything"
(`clear`).  They are not saved, so a restart forgets them too.  Why a module of its own: this record
and its trimming are a single concern, apart from the planning the conductor does.

Thread-safe: the conductor records flips on the thread that applies a plan, the retention trims them
from a command's thread, and the export and the tests read them from others.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator

from moodspeaker.util.clock import monotonic_of

#: Flips kept (the oldest forgotten first): the retention trims them by age, this bounds their number.
FLIPS_KEPT = 500

Flip = tuple[float, str]  # (monotonic time of the flip, first pick's track id)


class Flips:
    """The last FLIPS_KEPT flips, oldest first; iterating gives a copy (safe while flips are added)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flips: deque[Flip] = deque(maxlen=FLIPS_KEPT)

    def append(self, flip: Flip) -> None:
        """A mood made the music change at `flip[0]` (time.monotonic()) to the track `flip[1]`."""
        with self._lock:
            self._flips.append(flip)

    def forget_before(self, before: float) -> int:
        """The privacy retention: drop the flips made before `before` (a `time.time()`); returns how
        many went.  Flips are timed on the monotonic clock, so their age decides (a wall clock set by
        NTP after boot moves)."""
        since = monotonic_of(before)
        with self._lock:
            kept = [flip for flip in self._flips if flip[0] >= since]
            gone = len(self._flips) - len(kept)
            self._flips.clear()
            self._flips.extend(kept)
        return gone

    def clear(self) -> None:
        """ "Delete everything": every flip goes."""
        with self._lock:
            self._flips.clear()

    def _copy(self) -> list[Flip]:
        with self._lock:
            return list(self._flips)

    def __iter__(self) -> Iterator[Flip]:
        return iter(self._copy())

    def __len__(self) -> int:
        with self._lock:
            return len(self._flips)

    def __getitem__(self, index: int) -> Flip:
        with self._lock:
            return self._flips[index]
