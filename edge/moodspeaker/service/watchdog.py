"""A watchdog for the inference stage (Frigate's pattern: detect a stuck detector, restart it).

A TFLite `invoke()` that hangs (a wedged Edge TPU, a USB hiccup) cannot be interrupted from Python.
So the stage runs in its own thread and marks when each step starts; the watchdog notices a step
that has run longer than the timeout, abandons that thread (its late result is discarded because its
generation is stale), builds a fresh stage through the factory and starts a new thread.  Every
restart is reported through `on_restart`.

Starvation is not a hang.  On a Pi under load (swap, a thermal throttle, an index scan) or across a
host suspend the whole process can stand still for seconds: the stage thread with it, so a step that
began before the pause looks stuck afterwards although it never had a chance to run.  Restarting it
then throws away a healthy pipeline (and, on the Edge TPU, a costly reload).  So, as the Linux
soft-lockup detector does after a suspend, the watchdog measures its own lateness: a tick that comes
much later than asked means the process was starved, and the step's stuck time is counted again from
that tick (the baseline is reset) instead of tripping.  A step is restarted only after it has been
busy for the timeout while the watchdog ran on time throughout, which a real hang (a blocked
`invoke()`) still reaches within the timeout plus a period.

The same pair watches the player thread (player.hang), whose "restart" frees the thread instead of
replacing it: `restart` may return what it did, which the report then says instead of "restarted it",
and `Wording` names what is watched and what a trip counts (the player's are hangs, not restarts).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


class Heartbeat:
    """Shared between a stage thread and the watchdog: is a step running, since when, which thread."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock  # the watchdog's clock (a test drives both with one it sets)
        self._lock = threading.Lock()
        self.generation = 0
        self._busy_since: float | None = None
        self._doing = ""  # what the step does, when it says: named in the report of a trip
        self._limit_s: float | None = None  # the step's own limit, when it has one (begin's limit_s)

    def begin(self, generation: int, doing: str = "", limit_s: float | None = None) -> bool:
        """Mark a step as started (`doing`: what it does, for a trip's report, "building the vision
        pipeline"; `limit_s`: its own limit when the watchdog's timeout is too short for it, as for
        that build); False when this thread has been replaced (it should exit)."""
        with self._lock:
            if generation != self.generation:
                return False
            self._busy_since = self._clock()
            self._doing = doing
            self._limit_s = limit_s
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

    def doing(self) -> str:
        """What the step under way said it does ("" when none is, or it did not say)."""
        with self._lock:
            return self._doing if self._busy_since is not None else ""

    def limit_s(self) -> float | None:
        """The step under way's own limit (None when none is, or it has none: the watchdog's)."""
        with self._lock:
            return self._limit_s if self._busy_since is not None else None

    def replace(self) -> int:
        with self._lock:
            self.generation += 1
            self._busy_since = None
            return self.generation


@dataclass(frozen=True)
class Wording:
    """How a trip's report (log line, `on_restart`) names what is watched and what was done.

    An inference stage is replaced, so its trips are restarts ("inference stage stuck for 31.0 s;
    restarted it (restart #1)").  The player thread is never restarted, only freed or given up on
    (player.hang): its report said "(restart #1)" after "stopped the decoder", which read as if the
    player had been restarted too; its trips are counted as hangs.
    """

    subject: str  # what is stuck: "inference stage"
    done: str = "restarted it"  # what a trip did, when `restart` does not say
    failed: str = "restarting it failed"  # when `restart` raised
    count: str = "restart"  # what each trip counts as: "(restart #2)"


class Watchdog:
    """Checks a heartbeat every `period_s`; calls `restart()` when a step exceeds `timeout_s`.

    A tick more than `late_s` later than its period asked is taken for a starved process (see the
    module doc): the stuck time restarts from that tick.  `clock` is the monotonic clock the ticks
    read; the heartbeat must use the same one.
    """

    def __init__(
        self,
        heartbeat: Heartbeat,
        restart: Callable[[int], str | None],
        *,
        timeout_s: float,
        period_s: float = 0.5,
        on_restart: Callable[[str], None] | None = None,
        name: str = "inference",
        late_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wording: Wording | None = None,
    ) -> None:
        self._hb = heartbeat
        self._restart = restart
        self._timeout_s = timeout_s
        self._period_s = period_s
        self._on_restart = on_restart
        self._name = name
        self._late_s = late_s
        self._clock = clock
        self._wording = wording or Wording(f"{name} stage")
        self._last_tick: float | None = None  # when the last check ran (None: none yet)
        #: Since when the watchdog has been ticking on time: stuck time before it does not count.
        self._awake_since = float("-inf")
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
        """One tick at monotonic time `now` (the thread calls this every period; tests may too, with
        the times they choose).  True when a restart happened."""
        last, self._last_tick = self._last_tick, now
        if last is not None and now - last > self._period_s + self._late_s:
            self._starved(now - last - self._period_s, now)
            return False
        busy = min(self._hb.stuck_for(now), now - self._awake_since)
        if busy - self._grace() <= self._timeout_s:
            return False
        doing = self._hb.doing()
        generation = self._hb.replace()
        self.restarts += 1
        words = self._wording
        # how long the step was busy, a build's grace included
        message = f"{words.subject} stuck for {busy:.1f} s" + (f" {doing}" if doing else "")
        try:
            done = self._restart(generation)
        except Exception as exc:
            message += f"; {words.failed}: {exc} ({words.count} #{self.restarts})"
            log.exception("%s: %s", words.subject, words.failed)
        else:
            message += f"; {done or words.done} ({words.count} #{self.restarts})"
        log.error("%s", message)
        if self._on_restart is not None:
            self._on_restart(message)
        return True

    def stuck_for(self, now: float | None = None) -> float:
        """How long the step has been stuck at `now` (on the watchdog's clock, its own by default) as
        the watchdog counts it: busy
        time while the watchdog ran on time (`check` trips on the same).  The raw busy time is not
        the stuck time after a suspend or a swap storm (module doc); a caller outside the watchdog
        (the liveness check before each systemd ping) must use this one.  When `now` is already too
        late for the last tick (the process was just woken and the watchdog's next tick has not run
        yet), the process stood still since that tick, the step with it: the stuck time counts from
        `now`, as that tick will decide.  Unless the watchdog's thread died without `stop()`: then
        nothing ticks any more, and only the raw busy time tells that the step hangs."""
        now = self._clock() if now is None else now
        busy = self._hb.stuck_for(now) - self._grace()
        last = self._last_tick
        if last is None or now - last <= self._period_s + self._late_s:
            return max(0.0, min(busy, now - self._awake_since - self._grace()))
        return max(0.0, busy) if self._died() else 0.0

    def _grace(self) -> float:
        """How much longer than the timeout the step under way may take: a step with its own, longer
        limit (Heartbeat.begin's `limit_s`, the vision pipeline's build) is stuck only past that
        limit.  Its busy time up to the difference is not stuck time, here and in `stuck_for` (the
        liveness check before each systemd ping reads that against the timeout too)."""
        limit = self._hb.limit_s()
        return 0.0 if limit is None else max(0.0, limit - self._timeout_s)

    def _died(self) -> bool:
        """The thread was started and ended, but not by stop() (a bug escaped its loop)."""
        return self._thread.ident is not None and not self._thread.is_alive() and not self._stop.is_set()

    def _starved(self, late: float, now: float) -> None:
        """The tick came `late` seconds late: the whole process stood still, the stage with it.  What
        a step did not do meanwhile says nothing about it: its stuck time counts from `now`."""
        self._awake_since = now
        stuck = self._hb.stuck_for(now)
        if stuck - self._grace() > self._timeout_s:
            log.warning(
                "the process was starved for %.1f s (heavy load or a suspend): the %s step busy for "
                "%.1f s gets another %.1f s before it counts as stuck",
                late,
                self._name,
                stuck,
                self._timeout_s,
            )
        else:
            log.debug("the %s watchdog ticked %.1f s late: stuck time counted from now", self._name, late)

    def _run(self) -> None:
        self._last_tick = self._clock()  # the first tick's lateness is measured from the start
        while not self._stop.wait(self._period_s):
            self.check(self._clock())
