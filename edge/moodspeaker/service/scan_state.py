"""A library scan as the outside sees it: one run of passes, its progress so far and its result.

Why a module of its own: one scan runs at a time, and a rescan asked for while one runs (Rescan
pressed again after copying more music, or during the start-up scan) is merged into one more pass
after it.  The page, the control API's state and the CLI must then say "scanning" until the last
merged pass is done, with counts that add up over the passes, not "finished" after the first one.
This is the bookkeeping only (thread-safe, no I/O, time passed in); `service.rescan` runs the passes.

Counts: `seen`, `checked`, `done`, `total` and `short` are the current pass's (files found, compared
with the index, analysed so far of those queued for analysis, kept out as shorter than
library.min_track_s); `added`, `updated`, `removed`, `moved`, `analysed` and `failed` are the whole
run's, summed over its passes (a file is new in the pass that found it, and unchanged in the next; a
file found renamed or moved keeps its track id and counts as moved, not as new and removed).  `short`
is a pass count because it counts files, not changes (library.scan_summary.ScanSummary.short: every file
kept out at the end of the pass, also one kept out before): summed over two passes a ringtone would
count twice.  Once the run is over, the pass counts are its last pass's.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

#: The current pass's counts (what the progress bar and "Scanning… N files, K too short" show).
PASS_COUNTS = ("seen", "checked", "done", "total", "short")
#: The run's counts, summed over its passes.
RUN_COUNTS = ("added", "updated", "removed", "moved", "analysed", "failed")


class ScanListener(Protocol):
    """What a pass reports to while it runs: its phase ("walking", "checking", "removing",
    "analysing", "syncing") and its counts so far (keys of PASS_COUNTS and RUN_COUNTS)."""

    def __call__(self, phase: str, counts: Mapping[str, int]) -> None: ...


class Rescan(Protocol):
    """A library rescan (`service.components.open_library` makes the real one): brings the library up
    to date, reporting to `progress` as it goes when one is given, and returns one sentence on what
    changed.  A Protocol rather than a Callable so the optional `progress` is part of the type
    (positional-only: the service passes it by position, and a test's stand-in may name it otherwise)."""

    def __call__(self, progress: ScanListener | None = None, /) -> str: ...


@runtime_checkable
class ClosingRescan(Rescan, Protocol):
    """A rescan that keeps something for the passes of one run (the real one: its analysis workers,
    whose start costs seconds each) and lets go of it when the service says the run is over."""

    def close(self) -> None: ...


class ScanRun:
    """The state of the current (or last) scan run; `snapshot()` is what `state()["scan"]` shows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._asked = False  # a scan was ever asked for (before that the snapshot is empty)
        self._running = False
        self._queued = False  # one more pass was asked for while this one runs
        self._pass = 0
        self._phase = ""
        self._current: dict[str, int] = {}
        self._totals: dict[str, int] = {}
        self._started = 0.0
        self._finished: float | None = None
        self._result = ""

    def request(self, now: float) -> bool:
        """A rescan was asked for: True when a run must start now; False when one runs already (it
        will make one more pass when the current one ends, however often it is asked meanwhile)."""
        with self._lock:
            if self._running:
                self._queued = True
                return False
            self._asked, self._running, self._queued = True, True, False
            self._pass, self._phase, self._current, self._totals = 0, "starting", {}, {}
            self._started, self._finished, self._result = now, None, ""
            return True

    def begin_pass(self) -> None:
        """The next pass starts (it covers every request made before it)."""
        with self._lock:
            self._pass += 1
            self._queued = False
            self._phase, self._current = "starting", {}

    def progress(self, phase: str, counts: Mapping[str, int]) -> None:
        """The current pass's counts so far (a ScanListener)."""
        with self._lock:
            if not self._running:
                return
            self._phase = phase
            self._current = {k: int(v) for k, v in counts.items() if k in PASS_COUNTS + RUN_COUNTS}

    def more_asked(self) -> bool:
        """Whether one more pass was asked for during the current one (so far)."""
        with self._lock:
            return self._queued

    def end_pass(self, result: str, now: float) -> bool:
        """The current pass ended with `result` (one sentence): True when that ends the run, False
        when one more pass was asked for meanwhile (the caller runs it)."""
        with self._lock:
            for key in RUN_COUNTS:
                self._totals[key] = self._totals.get(key, 0) + self._current.pop(key, 0)
            if self._queued:
                return False
            self._finish(result, now)
            return True

    def abort(self, reason: str, now: float) -> None:
        """The run broke off (the scanning thread itself failed): it is over, saying why; the next
        request starts a new run."""
        with self._lock:
            if self._running:
                self._finish(f"failed: {reason}", now)

    def _finish(self, result: str, now: float) -> None:
        self._running, self._queued, self._phase, self._finished = False, False, "finished", now
        if self._pass > 1:
            new, changed, removed, moved = (
                self._totals.get(k, 0) for k in ("added", "updated", "removed", "moved")
            )
            # moves said when there were some, as in a pass's own sentence (components.scan_line)
            totals = f"{new} new, {changed} changed, {removed} removed"
            totals += (f", {moved} moved" if moved else "") + " in all"
            result = f"{self._pass} passes, {totals}; last pass: {result}"
        self._result = result

    def snapshot(self) -> dict[str, Any]:
        """Empty before any scan; else running/queued, the pass and phase, the counts, the times and,
        once the run is over, its result."""
        with self._lock:
            if not self._asked:
                return {}
            out: dict[str, Any] = {
                "running": self._running,
                "queued": self._queued,
                "pass": self._pass,
                "phase": self._phase,
            }
            for key in PASS_COUNTS:
                if key in self._current:
                    out[key] = self._current[key]
            for key in RUN_COUNTS:  # the current pass's run counts are added to the totals as it ends
                if key in self._totals or key in self._current:
                    out[key] = self._totals.get(key, 0) + self._current.get(key, 0)
            out.update(started=self._started, finished=self._finished, result=self._result)
            return out
