"""What was restored at start, standing in for the player's status until the player has applied it.

Why: at start the saved track, position, queue and playing state are posted to the player
thread (`Appliance._restore`), and everything that acts on what plays reads the player's status: the
saves (the housekeeping's each second, the retention's, a command's), the commands (Play, Next, Like,
a mood corrected from the page or MQTT, the export) and the conductor (a mood read by the camera, a
refill).  On a starved machine the player may not have run the restore when the first of them comes,
and its status then shows nothing: state.json was written with an empty queue and no track (a power
cut in that moment lost the listener's queue for good), Play planned a queue over the restored one,
a new mood skipped the clash check with the track about to resume, a Next or Like found nothing
playing.  So until the player shows the restore applied, they take those from the snapshot restored
instead (what the player is about to show: `status`).  The commands posted after the restore run
after it, so the player's status shows none of them yet either: a save lays on top what
`service.pending` lists, as it always does, and takes back the explanations deleted since
(`service.forget`), as it does from the player's items.

A command from the listener first waits for the restore (`wait`), so in the usual case it acts on
what the player really holds; the wait is bounded by RESTORE_WAIT_S after the restore was posted (a
deadline shared by every command, not a wait each), after which the snapshot stands in.  The inference
thread (watched by the watchdog) and the housekeeping (whose saves must go on) never wait: they take
the snapshot at once.  The waiting is on the player's own signal (`applied`, an Event), not on a lock.

This is the one place that knows whether the restore is applied, and a player that never applies it
(wedged) leaves state.json as restored rather than empty.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import NamedTuple

from moodspeaker.player.engine import PlayerStatus
from moodspeaker.service.state import Snapshot

#: How long after the restore was posted a command still waits for the player to apply it (as long
#: as a command waits for the player to apply its own change: `core.PLAYER_WAIT_S`).  Past it the
#: player is too busy to wait for, and the snapshot restored stands in for its status.
RESTORE_WAIT_S = 5.0


class _Held(NamedTuple):
    snapshot: Snapshot | None  # None: nothing restored (yet), nothing to stand in for
    applied: threading.Event  # set once the player's status shows the snapshot
    deadline: float  # monotonic time until which a command waits for `applied`


class RestoredState:
    """The snapshot restored and the player's signal that it holds it, kept as one (a command or a
    save on another thread reads them at once).  `read` is the player's status."""

    def __init__(self, read: Callable[[], PlayerStatus]) -> None:
        self._read = read
        nothing = threading.Event()
        nothing.set()  # nothing restored yet: nothing to stand in for, nothing to wait for
        self._held = _Held(None, nothing, 0.0)

    def restoring(self, snapshot: Snapshot, applied: threading.Event) -> None:
        """`snapshot` was posted to the player; `applied` is set once its status shows it
        (`Player.when_idle`, asked for after the restore's commands)."""
        self._held = _Held(snapshot, applied, time.monotonic() + RESTORE_WAIT_S)

    def wait(self) -> bool:
        """Wait until the player shows the restore applied, but not past RESTORE_WAIT_S after it was
        posted; True when it is applied (or nothing was restored).  For the commands: `status` after
        it is then the player's own, else the snapshot stands in."""
        held = self._held
        return held.applied.wait(max(0.0, held.deadline - time.monotonic()))

    def status(self) -> PlayerStatus:
        """The player's status as a command or a save must see it: until the restore is applied, with
        the restored track, position, queue and playing state (paused on a track restored not
        playing) in place of the player's (not the volume: the speaker starts at player.volume)."""
        snap, applied, _ = self._held
        # Asked before the status is read: one applied after the question is then taken from `snap`
        # (what the player just applied), never missed by a status read before it.
        if applied.is_set() or snap is None:
            return self._read()
        status = self._read()
        state = "playing" if snap.playing else status.state
        if not snap.playing and snap.current is not None:
            state = "paused"  # paused at the power cut: the player pauses on it (`Appliance._restore`)
        return dataclasses.replace(
            status,
            state=state,
            current=snap.current,
            position_s=snap.position_s,
            queue=snap.queue,
        )
