"""A watchdog for the inference stage (Frigate's pattern: detect a stuck detector, restart it).

A TFLite `invoke()` that hangs (a wedged Edge TPU, a USB hiccup) cannot be interrupted from Python.
So the stage runs in its own thread and marks when each step starts; the watchdog notices a step
that has run longer than the timeout, abandons that thread (its late result is discarded because its
generation is stale), builds a fresh stage through the factory and starts a new thread.  Every
restart is reported through `on_restart`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Heartbeat:
    """Shared between a stage thread and the watchdog: is a step running, since when, which thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.generation = 0
        self._busy_since: float | None = None

    def begin(self, generation: int) -> bool:
        """Mark a step as started; False when this thread has been replaced (it should exit)."""
        with self._lock:
            if generation != self.generation:
                return False
            self._busy_since = time.monotonic()
            return True

    def end(self, generation: int) -> bool:
        """Mark the step as finished; False when the result is stale (the thread was replaced)."""
        with self._lock:
            if generation != self.generation:
                return False
            self._busy_since = None
            return True

    def stuck_for(self, now: float) -> float:
        with self._lock:
            return 0.0 if self._busy_since is None else now - self._busy_since

    def replace(self) -> int:
        with self._lock:
            self.generation += 1
            self._busy_since = None
            return self.generation


class Watchdog:
    """Checks a heartbeat every `period_s`; calls `restart()` when a step exceeds `timeout_s`."""

    def __init__(
        self,
        heartbeat: Heartbeat,
        restart: Callable[[int], None],
        *,
        timeout_s: float,
        period_s: float = 0.5,
        on_restart: Callable[[str], None] | None = None,
        name: str = "inference",
    ) -> None:
        self._hb = heartbeat
        self._restart = restart
        self._timeout_s = timeout_s
        self._period_s = period_s
        self._on_restart = on_restart
        self._name = name
        self.restarts = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"watchdog-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(2.0)

    def check(self, now: float) -> bool:
        """One check (the thread calls this; tests may too). True when a restart happened."""
        stuck = self._hb.stuck_for(now)
        if stuck <= self._timeout_s:
            return False
        generation = self._hb.replace()
        self.restarts += 1
        message = f"{self._name} stage stuck for {stuck:.1f} s; restarted it (restart #{self.restarts})"
        log.error("%s", message)
        try:
            self._restart(generation)
        except Exception as exc:
            message += f"; the restart failed: {exc}"
            log.exception("restarting the %s stage failed", self._name)
        if self._on_restart is not None:
            self._on_restart(message)
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._period_s):
            self.check(time.monotonic())
