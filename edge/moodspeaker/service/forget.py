"""The pick explanations that "delete everything" took back, kept out of everything reported after it.

Why: an explanation quotes the mood the camera read ("you look happy (0.95)") and what was learned
from the listener ("you liked this when happy"): personal data derived from what was deleted.  The
tracks planned before the deletion still play (the listener asked to delete their data, not to stop
the music), and the player keeps them with their explanations (the track playing, the queue, the one a
replay goes back to).  So the service remembers the explanations it had then and reports none of them
again: not in the state, the saved state, health's "why these tracks", nor a TrackStarted (MQTT).
Plans made after the deletion explain themselves from what is read and learned from then on.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable

from moodspeaker.player.queue import QueueItem


class ForgottenReasons:
    """The explanations taken back by deletions so far (a few per deletion); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reasons: set[str] = set()

    def forget(self, reasons: Iterable[str]) -> None:
        with self._lock:
            self._reasons.update(r for r in reasons if r)

    def reason(self, reason: str) -> str:
        """`reason` as it may be reported: "" when it was taken back."""
        with self._lock:
            return "" if reason in self._reasons else reason

    def item(self, item: QueueItem) -> QueueItem:
        """`item` as it may be reported or saved: without an explanation that was taken back."""
        shown = self.reason(item.reason)
        return item if shown == item.reason else dataclasses.replace(item, reason=shown)
