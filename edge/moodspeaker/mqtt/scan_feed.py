"""ScanFeed: when the library scan's retained state topic is read again and when it may go out.

A scan's counts change once per file with no bus event, so the bridge cannot wait for one: while a
scan runs it reads the state again every poll interval, and new counts alone go out no more often
than that (a big scan counts thousands of files; a retained message per file would flood the broker
and every subscriber).  A start, an end, a new phase, a new pass or a queued pass is a change of
state and goes out at once.  This module holds only those rules (no I/O, the time is passed in) so
that they can be tested on their own; the bridge reads the state and publishes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moodspeaker.mqtt.payloads import SCANNING, scan_progress_only

#: While a library scan runs, its progress is read this often, and published at most this often
#: (its start, end, phases and merged passes go out at once).
SCAN_POLL_S = 1.0


class ScanFeed:
    """The pacing of one speaker's `state/scan` topic, from the payloads published and the time.

    Times are the caller's monotonic clock (a Pi without RTC jumps its wall clock at boot).
    """

    def __init__(self, poll_s: float = SCAN_POLL_S) -> None:
        self._poll_s = poll_s
        self._last: Mapping[str, Any] | None = None  # the scan payload last published (without ts)
        self._next_poll = 0.0  # while a scan runs: when its progress is read (and may go out) again

    @property
    def scanning(self) -> bool:
        """True while the last published scan payload says `scanning`."""
        return self._last is not None and self._last.get("value") == SCANNING

    def wake(self, by: float) -> float:
        """When to look again at the latest: `by` (the caller's own next deadline), or the next poll
        if a scan runs and it comes sooner.  With no scan running there is nothing to poll."""
        return min(by, self._next_poll) if self.scanning else by

    def poll_due(self, now: float) -> bool:
        """True when a scan runs and its state has not been read for a poll interval."""
        return self.scanning and now >= self._next_poll

    def polled(self, now: float) -> None:
        """The state was read at `now`: the next read is one poll interval later."""
        self._next_poll = now + self._poll_s

    def held(self, payload: Mapping[str, Any], now: float) -> bool:
        """True when this new scan payload must wait: only its counts changed since the last one
        published, and the poll interval since then has not passed (the next poll sends them)."""
        return self._last is not None and scan_progress_only(self._last, payload) and now < self._next_poll

    def published(self, payload: Mapping[str, Any], now: float) -> None:
        """`payload` went out at `now`: counts alone wait a poll interval from here."""
        self._last = payload
        self._next_poll = now + self._poll_s
