"""Changes a command asked the player for that its status does not show yet.

Why: a command that changes what the player holds (the volume, the queue of a profile or strategy
switch) answers with the state once the player thread has run it (`Player.when_idle`).  On a loaded
machine that thread can take longer than a command may keep the page or MQTT waiting; the answer
then shows what is true (the state still in effect) and lists the change under `pending`, never the
asked-for value as if it were done.  The change stays listed until the player has applied it; then
the housekeeping announces it (`settled`), as the command would have.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Change:
    value: Any
    done: threading.Event  # set once the player's status shows the change


class PendingChanges:
    """What is pending, by state key ("volume", "queue"); thread-safe.  A later change of the same key
    replaces an earlier one: the player applies commands in order, so the later one is what stays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changes: dict[str, _Change] = {}

    def add(self, key: str, value: Any, done: threading.Event) -> None:
        with self._lock:
            self._changes[key] = _Change(value, done)

    def values(self) -> dict[str, Any]:
        """The changes not applied yet.  Read this before the player's status: a change applied in
        between then shows in both (same value), never in neither."""
        with self._lock:
            return {key: c.value for key, c in self._changes.items() if not c.done.is_set()}

    def settled(self) -> dict[str, Any]:
        """The changes applied since the last call (each returned once), to be announced."""
        with self._lock:
            done = {key: c.value for key, c in self._changes.items() if c.done.is_set()}
            for key in done:
                del self._changes[key]
            return done
