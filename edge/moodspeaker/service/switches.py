"""The switches of listener or strategy under way, so that a Play they overtook can wait for them.

Why: Play plans first, and a switch of listener or strategy that takes effect meanwhile drops Play's
plan (`Conductor.plan_to_play`); when both of Play's plans were dropped, Play plays the music the
last switch queued (`PlaybackCommands._music_in_effect`).  That switch may still be under way then:
its queue posted to the player but not applied yet, and not yet listed as pending either.  Play read
the queue too early and was refused ("try again") while the switch was queuing music for it.  Play
used to wait for that by taking the save lock, which each switch happened to hold for its whole run:
it waited for any save as well, and a switch that one day let the lock go early would have brought
the refusal back unseen.  Here a switch says when it is under way (`under_way`, from before it plans
until its queue is applied or listed as pending) and Play waits for exactly that (`wait`), bounded.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: How long Play waits for the switches under way to put their queue in effect: a switch plans (a
#: second or two on a Pi with a large library), saves, and waits for the player to apply its queue
#: (`core.PLAYER_WAIT_S`) before marking it pending.  Past it, Play answers with what is in effect.
SWITCH_WAIT_S = 20.0


class SwitchesUnderWay:
    """How many switches are under way (thread-safe); `wait` for none to be."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._count = 0

    @contextmanager
    def under_way(self) -> Iterator[None]:
        """`with switches.under_way():` around a switch, from before it plans until its queue is in
        effect (applied, or listed as pending) or the switch was refused."""
        with self._changed:
            self._count += 1
        try:
            yield
        finally:
            with self._changed:
                self._count -= 1
                self._changed.notify_all()

    def wait(self, timeout: float = SWITCH_WAIT_S) -> bool:
        """Wait until no switch is under way, at most `timeout` seconds; True when none is."""
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)
