"""The recommender's "no picks" lines in the journal: said when a plan's outcome changes, not at each plan.

Why a module of its own: a speaker with nothing left to offer plans again at every refill, about every
30 s, and each plan said the same line at INFO (a soak: "no picks for the listener: nothing left to
offer: 4 tracks rejected in this mood (skipped or disliked), 2 tracks playing or queued already"), some
120 journal lines an hour for as long as it lasts, weeks on a device nobody looks at.  Now a plan
with no picks says its line at its level (INFO; WARNING for an empty library) when its outcome, the
readiness and the sentence, differs from the previous plan's, and at DEBUG while it stays the same.
Every plan counts as the previous one, with picks or switched off too: the music going again in
between makes the next dead end news again.
"""

from __future__ import annotations

import logging
import threading

from moodspeaker.recommend.planner import Outcome


class OutcomeLog:
    """Says a plan's "no picks" line once per change of outcome (module doc); thread-safe."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._last: Outcome | None = None

    def planned(self, outcome: Outcome, line: str | None = None, level: int = logging.INFO) -> None:
        """A plan came out as `outcome`.  `line`: what to say of it (a format with the status as its
        one %s), None when nothing is said (it had picks, or picks are off); said at `level` when the
        outcome is not the previous plan's, else at DEBUG."""
        with self._lock:
            changed = outcome != self._last
            self._last = outcome
        if line is not None:
            self._log.log(level if changed else logging.DEBUG, line, outcome.status)
