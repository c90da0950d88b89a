"""What was restored at start, standing in for the player's status until the player has applied it.

Why: at start the saved track, position, queue, playing state and volume are posted to the player
thread (`Appliance._restore`), and every save (the housekeeping's each second, the retention's, a
command's) reads what to save from the player's status.  On a starved machine the player may not
have run the restore when the first save comes: state.json was written with an empty queue and no
track, and a power cut in that moment lost the listener's queue for good.  So until the player shows
the restore applied, a save takes those from the snapshot restored instead (what the player is about
to show).  The commands posted after the restore run after it, so the player's status shows none of
them yet either: a save lays on top what `service.pending` lists, as it always does, and takes back
the explanations deleted since (`service.forget`), as it does from the player's items.

This is the one place that knows whether the restore is applied: the saves ask it (`status`), so the
housekeeping and the retention (whose runs save) need no wait of their own, and a player that never
applies it (wedged) leaves state.json as restored rather than empty.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable

from moodspeaker.player.engine import PlayerStatus
from moodspeaker.service.state import Snapshot


class RestoredState:
    """The snapshot restored and the player's signal that it holds it, kept as one pair (a save on
    another thread reads both at once)."""

    def __init__(self) -> None:
        nothing = threading.Event()
        nothing.set()  # nothing restored yet: nothing to stand in for
        self._held: tuple[Snapshot | None, threading.Event] = (None, nothing)

    def restoring(self, snapshot: Snapshot, applied: threading.Event) -> None:
        """`snapshot` was posted to the player; `applied` is set once its status shows it
        (`Player.when_idle`, asked for after the restore's commands)."""
        self._held = (snapshot, applied)

    def status(self, read: Callable[[], PlayerStatus]) -> PlayerStatus:
        """The player's status (`read`) as a save must see it: until the restore is applied, with the
        restored track, position, queue, playing state and volume in place of the player's."""
        snap, applied = self._held
        # Asked before the status is read: one applied after the question is then taken from `snap`
        # (what the player just applied), never missed by a status read before it.
        if applied.is_set() or snap is None:
            return read()
        status = read()
        return dataclasses.replace(
            status,
            state="playing" if snap.playing else status.state,
            current=snap.current,
            position_s=snap.position_s,
            queue=snap.queue,
            volume=status.volume if snap.volume is None else snap.volume,
        )
