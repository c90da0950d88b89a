"""The player thread watched from outside: a decode call that never returns must not silence it.

Why: one thread owns every pygame call and decodes the chunks (player.engine).  A call that never
returns (a corrupt or hostile file sending ffmpeg into a loop that writes nothing, a read from a disk
that stopped answering) blocks that thread, so no check inside it can notice: the music stops, the
status freezes and commands wait unanswered, for ever.  So the thread beats a heartbeat around each
pass of its loop (waiting for a command is idle, not a pass), and a watchdog outside it notices a
pass that has run longer than `STUCK_S`.  Both are service.watchdog's, with its starvation
awareness: a pass the whole process stood still through (a suspend, swap) is not a hang.  It logs
the track, and recovers:

- the thread is in a decode call that runs a subprocess (ffmpeg): that is killed (`Decoder.abort`);
  the read fails with a DecodeError naming the hang and the player skips the track as it skips any
  track that fails to decode (a reported failure) and plays on with the next.  The pass is timed
  again from then: should the thread still not come back, the next case applies.
- else (libsndfile or a pygame call blocked in C code, or a decoder killed to no avail): a Python
  thread cannot be interrupted.  The player counts as stuck (`PlayerWatch.stuck`): health says so,
  the liveness check stops the systemd pings, and systemd restarts the whole service, which
  restores the saved state.  The hung track is first taken out of the status the saves read
  (`on_stuck`), so the restart does not resume it and hang again.  Should the thread come back after
  all, it plays on and the player no longer counts as stuck.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from moodspeaker.player.decode import Decoder
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.watchdog import Heartbeat, Watchdog, Wording

log = logging.getLogger(__name__)

#: How long one pass of the player loop may run before it counts as stuck.  A pass normally takes
#: milliseconds (one 0.4 s chunk decoded), but some legitimately take seconds on a Pi: opening and
#: seeking in a long file (ffmpeg's -ss, libsndfile's MP3 seek reads from the start), decoding under
#: an index scan, and waiting for a LAN download the prefetcher has not finished, which gives up by
#: itself after its 20 s timeout plus 5 s (player.fetch).  30 s is past all of them, so only a pass
#: that will not end trips it, and the silence it ends stays about as short as systemd's own
#: watchdog (WatchdogSec=30s) would leave a hung process.
STUCK_S = 30.0


@dataclass(frozen=True)
class Call:
    """A call of the player thread that may block: opening or decoding `item`."""

    item: QueueItem
    decoder: Decoder | None  # None while the track is being opened

    @property
    def track(self) -> str:
        t = self.item.track
        return f"{t.artist} - {t.title}" if t.artist else t.title


class PlayerWatch:
    """The player thread's heartbeat, the watchdog outside it, and what a recovery did."""

    def __init__(
        self,
        *,
        on_stuck: Callable[[QueueItem | None, str], None],
        on_report: Callable[[str], None] | None = None,
        playing: Callable[[], QueueItem | None] | None = None,
        timeout_s: float = STUCK_S,
        period_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`on_stuck(item, error)`: the thread cannot be freed, stuck on `item` (None: not in a call
        about a track).  `on_report(message)`: each hang and recovery, as the watchdog reports it.
        `playing()`: the track the status shows, named when the thread hangs outside a decode call."""
        self._on_stuck = on_stuck
        self._on_report = on_report
        self._playing = playing
        self._timeout_s = timeout_s
        self.heartbeat = Heartbeat(clock)
        self.watchdog = Watchdog(
            self.heartbeat,
            self._recover,
            timeout_s=timeout_s,
            period_s=period_s,
            on_restart=self._report,
            name="player",
            clock=clock,
            wording=Wording("player thread", failed="freeing it failed", count="hang"),
        )
        self._lock = threading.Lock()
        self._call: Call | None = None
        self._aborted: Decoder | None = None  # stopped by a recovery, the thread not back since
        self._stuck = ""
        self._stuck_at = 0.0  # when it was given up on (`time.time()`: the retention's cut-offs)
        self._unnamed = ""  # `_stuck` without the track it names (what `forget` leaves)
        self._reports: list[str] = []  # not taken by `reports()` yet

    def start(self) -> None:
        self.watchdog.start()

    def stop(self) -> None:
        self.watchdog.stop()

    # ---- the player thread's side --------------------------------------------------------------
    def pass_begins(self) -> None:
        self.heartbeat.begin(self.heartbeat.generation)  # a recovery's generation is this thread's too

    def pass_ends(self) -> None:
        self.heartbeat.end(self.heartbeat.generation)
        with self._lock:
            was, self._stuck, self._aborted = self._stuck, "", None
        if was:
            log.warning("the player thread is back after all; it plays on (was: %s)", was)
            self._report(f"the player thread is back after all (was: {was})")

    @contextlib.contextmanager
    def during(self, item: QueueItem, decoder: Decoder | None = None) -> Iterator[None]:
        """Mark a call about `item` (reading `decoder`, else opening it) that may block."""
        with self._lock:
            self._call = Call(item, decoder)
        try:
            yield
        finally:
            with self._lock:
                self._call = None

    def watched(self, decoder: Decoder, item: QueueItem) -> Decoder:
        """`decoder`, its reads marked (`during`) for the watchdog to find a blocked one."""
        return _Watched(decoder, item, self)

    # ---- the watchdog's side -------------------------------------------------------------------
    @property
    def stuck(self) -> str:
        """Why the player thread counts as stuck for good ("" while it is not)."""
        with self._lock:
            return self._stuck

    @property
    def recoveries(self) -> int:
        """Passes found stuck so far (each recovered or given up on)."""
        return self.watchdog.restarts

    def doing(self) -> Call | None:
        """The call the player thread is in that may block (None: none)."""
        with self._lock:
            return self._call

    def state(self) -> tuple[ComponentState, str]:
        """Health's `player` component: ("stuck", why) or ("ok", the hangs recovered from, if any)."""
        stuck, hangs = self.stuck, self.recoveries
        if stuck:
            return ComponentState.STUCK, stuck
        return ComponentState.OK, f"recovered from {hangs} hang{'s' if hangs > 1 else ''}" if hangs else ""

    def reports(self) -> list[str]:
        """What was reported since the last call (health's incidents take it): each hang and its
        recovery, and a thread given up on that came back.  The hangs are counted by `recoveries`."""
        with self._lock:
            reports, self._reports = self._reports, []
        return reports

    def _recover(self, generation: int) -> str:
        """The pass is stuck: stop the decoder it is blocked in, else give the thread up."""
        with self._lock:
            call, aborted = self._call, self._aborted
        on = f" on {call.track}" if call is not None else self._where()
        decoder = call.decoder if call is not None else None
        reason = f"its decoder gave nothing for {self._timeout_s:g} s (hung?); it was stopped"
        if decoder is not None and decoder is not aborted and decoder.abort(reason):
            with self._lock:
                self._aborted = decoder
            self.heartbeat.begin(generation)  # the pass goes on: timed again from now
            return f"stopped the decoder{on}: the track is skipped"
        why = "its decoder was stopped to no avail" if decoder is not None else "nothing there can be stopped"
        stuck = f"the player thread is stuck{on} ({why}); the service must be restarted"
        with self._lock:
            self._stuck, self._stuck_at = stuck, time.time()
            self._unnamed = f"the player thread is stuck ({why}); the service must be restarted"
        self._on_stuck(call.item if call is not None else None, f"the player hung on it ({why})")
        return "cannot free the thread: the player counts as stuck (systemd restarts the service)"

    def forget(self, before: float | None = None) -> None:
        """For "delete everything" (None) or the privacy retention (`before`, a `time.time()`): the
        words of a thread given up on before it stop naming its track at once (what was played is
        the listeners' history, player.history).  Health and the liveness check show them until the
        restart, which a thread stuck for good does not bring about by itself.  It still counts as
        stuck."""
        with self._lock:
            if self._stuck and (before is None or self._stuck_at < before):
                self._stuck = self._unnamed

    def _where(self) -> str:
        """Where a thread stuck outside a decode call is: with the track playing, if any."""
        item = self._playing() if self._playing is not None else None
        return f" (playing {Call(item, None).track})" if item is not None else ""

    def _report(self, message: str) -> None:
        with self._lock:
            self._reports = [*self._reports[-19:], message]
        if self._on_report is not None:
            self._on_report(message)


class _Watched:
    """A decoder whose reads the watch knows about (`PlayerWatch.watched`)."""

    def __init__(self, inner: Decoder, item: QueueItem, watch: PlayerWatch) -> None:
        self._inner = inner
        self._item = item
        self._watch = watch
        self.duration_s = inner.duration_s

    def read(self, frames: int) -> np.ndarray:
        with self._watch.during(self._item, self._inner):
            return self._inner.read(frames)

    def abort(self, reason: str) -> bool:
        return self._inner.abort(reason)

    def close(self) -> None:
        self._inner.close()
