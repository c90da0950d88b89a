"""The camera's read as the inference stage watches it, and the capture that never returned.

A capture that never returns (a wedged camera driver) is a stuck step like a hung invoke: the read is
marked on the heartbeat, and the watchdog restarts the stage.  The restarted thread finds the camera
still held by that capture (the live cameras' read gives None at once, "retrying", and
`capture_pending`): it cannot capture either, so its step is left marked busy (its no-face readings
still go out: the mood fades) and the watchdog restarts it in turn until a capture returns; restarts in
a row without a frame end in the process's restart (STUCK_RESTARTS_LIMIT), which alone frees a wedged
driver.

The privacy switch closes the camera object whose capture hung, but not the capture: it still holds
the device, so the camera object built when the switch is turned on again cannot open it ("Camera in
use") and has no capture of its own pending.  The closed one is kept (`closed`) until its capture
returns, and the device counts as held meanwhile: switching off and on does not stop the escalation.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import numpy as np

from moodspeaker.service.watchdog import Heartbeat


class Readable(Protocol):
    def read(self) -> np.ndarray | None: ...


def capture_pending(source: object) -> bool:
    """The source says a capture of it is under way (live cameras only; other sources never hang)."""
    return bool(getattr(source, "capture_pending", False))


class HeldCapture:
    """Which generation's thread waits on the device held by a hung capture, and the closed camera
    object whose capture holds it."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        self._hb = heartbeat
        # The generation whose thread found the camera held: its step stays marked busy, so the
        # watchdog restarts it in turn.
        self.generation: int | None = None
        self._lock = threading.Lock()
        self._hung: Any = None  # a closed camera object whose capture had not returned

    def closed(self, source: object) -> None:
        """`source` was just closed: kept while a capture of it has not returned (it holds the device)."""
        if capture_pending(source):
            with self._lock:
                self._hung = source

    def device_held(self, source: object) -> bool:
        """A capture that has not returned holds the device: `source`'s own, or a closed one's."""
        if capture_pending(source):
            return True
        with self._lock:
            hung = self._hung
            if hung is None:
                return False
            if capture_pending(hung):
                return True
            self._hung = None  # its capture returned and let the device go
            return False

    def read(self, source: Readable, generation: int) -> tuple[np.ndarray | None, bool]:
        """`source.read()` watched on the heartbeat as `generation`'s step; left marked busy when the
        read gave nothing because the device is held.  Returns (frame, still current)."""
        held = self.generation == generation
        if not held and not self._hb.begin(generation):
            return None, False
        try:
            frame = source.read()
        except BaseException:
            self.let_go(generation)
            self._hb.end(generation)
            raise
        if frame is None and self.device_held(source):
            self.generation = generation  # the heartbeat stays busy since the first read it refused
            return None, self._hb.generation == generation
        self.let_go(generation)
        return frame, self._hb.end(generation)

    def let_go(self, generation: int) -> None:
        """This thread no longer waits on a capture held by a hung one (a frame came, the camera was
        switched off): its step is over, not stuck."""
        if self.generation == generation:
            self.generation = None
            self._hb.end(generation)
