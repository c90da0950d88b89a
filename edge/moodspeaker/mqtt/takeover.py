"""Two speakers with one device id: telling the broker's takeover from an ordinary outage, and pacing
the reconnects while it goes on.

The client id is made from the device id, and a broker closes a connection when another client
connects with the same client id; MQTT 3.1.1 gives no reason, the socket just closes.  Two speakers
configured with the same `device.id` throw each other out at every connect for as long as both run.
paho's back-off starts again at 1 s after each accepted connect, so each reconnected about once a
second, every time with a whole announcement (discovery, every state topic).  A run of short
connections is the sign; while it lasts the reconnect wait doubles up to `reconnect_max_s`, as for a
broker that keeps refusing.  A connection lasts at most about the other speaker's wait then, so it
counts as the takeover still going on unless it held longer than the longest wait the other could
use: only then was it an ordinary outage, and the back-off starts at 1 s again.
"""

from __future__ import annotations

#: A connection closed this soon after it opened counts as "short"; this many in a row look like a
#: client-id takeover (another speaker with the same device id).
SHORT_CONNECTION_S = 5.0
TAKEOVER_SUSPECT = 3


class TakeoverWatch:
    """Follows how long the broker keeps the connections; `delay` is the reconnect wait to start with
    after the next close (paho's minimum delay), `max_delay` the setting's longest wait."""

    def __init__(self, max_delay: int) -> None:
        self._max = max(1, max_delay)
        self.in_a_row = 0  # short connections in a row, then takeovers while suspected
        self.suspected = False
        self.delay = 1

    def closed(self, lasted: float) -> bool:
        """The broker closed a connection that lasted `lasted` seconds; True when `delay` changed."""
        before = self.delay
        if self.suspected and lasted > self._max + SHORT_CONNECTION_S:
            self.suspected = False  # held longer than the other would wait: it is gone (or never was)
            self.in_a_row = 0
            self.delay = 1
        elif self.suspected:
            self.in_a_row += 1
            self.delay = min(self.delay * 2, self._max)
        else:
            self.in_a_row = self.in_a_row + 1 if lasted < SHORT_CONNECTION_S else 0
            if self.in_a_row >= TAKEOVER_SUSPECT:
                self.suspected = True
                self.delay = min(2, self._max)
        return self.delay != before

    @property
    def first(self) -> bool:
        """This close is the one that made the takeover suspected (said once, at ERROR)."""
        return self.suspected and self.in_a_row == TAKEOVER_SUSPECT
