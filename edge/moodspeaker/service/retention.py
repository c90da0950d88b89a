"""The privacy retention, run by the service itself: at start, then every hour, page or no page.

Why the service: `privacy.retention_days` promises that what was learned about the household is
deleted once older than that: the feedback (and what was learned from it), the "why these tracks"
explanations, the moods the tracks were picked for, when a mood changed the music and which tracks
were played when (service.plays), all kept by the service (`delete_data(before)`,
service.listeners), and the page's mood history, kept by the page.  It used to run only from the
page (at its start and hourly), so a speaker without it (`moodspeaker run --no-web`,
`web.enabled = false`, a Home-Assistant-only install) never deleted anything.  Now each keeper
deletes its own: this loop the service's data, the page its mood history (moodspeaker_web.context);
while no page runs in this process, this loop prunes the mood history file too
(service.mood_history), which it kept for good.

The loop waits on an Event between runs, so a stop ends it at once (not after the hour), and a
changed `retention_days` takes effect at once (`run_now`: a shorter period deletes more, now).
What each run deleted is logged as counts, never the data itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass

from moodspeaker.service.control import CommandError

log = logging.getLogger(__name__)

DAY_S = 86400.0
#: How often the retention runs after the one at start (the page's history ran on the same hour).
RETENTION_INTERVAL_S = 3600.0


@dataclass(frozen=True)
class Expired:
    """What one retention run deleted, counted (logged; never the data itself)."""

    feedback: int = 0
    explanations: int = 0
    picks: int = 0
    flips: int = 0  # when a mood made the music change, and to which track (service.conductor)
    plays: int = 0  # tracks started, and skipped as unplayable (service.feedback, player.history)
    state_copies: int = 0  # copies of unreadable state files set aside (service.forget)
    mood_samples: int = 0  # the page's mood history, when no page prunes it (service.mood_history)
    incidents: int = 0  # health's incidents, which can name a track or a listener (service.health)

    def __bool__(self) -> bool:
        """Something went (every field is a count: a field added later counts without a change here)."""
        return any(astuple(self))


class Retention:
    """Runs `expire(cut_off)` on its own thread at start and every `interval_s`; the cut-off is
    `retention_days()` before `clock()` (both read at each run: the setting changes at run time)."""

    def __init__(
        self,
        expire: Callable[[float], Expired],
        retention_days: Callable[[], int],
        *,
        clock: Callable[[], float] = time.time,
        interval_s: float = RETENTION_INTERVAL_S,
    ) -> None:
        self._expire = expire
        self._days = retention_days
        self._clock = clock
        self._interval_s = interval_s
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._runs = 0

    def cut_off(self) -> float:
        """What was made before this time is deleted now."""
        return self._clock() - self._days() * DAY_S

    @property
    def runs(self) -> int:
        """How many runs have ended (done or failed): what a caller waits on to know one happened."""
        return self._runs

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Run now, then every `interval_s`.  The first run need not wait for the player to hold what
        was restored: its save keeps that until then (service.restored), as every save does."""
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)
        self._thread.start()

    def run_now(self) -> None:
        """Run again at once (a changed retention_days), without waiting for the hour."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """End the loop: at once while it waits; after the run under way (a database deletion)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._once()
            finally:
                self._runs += 1
            self._wake.wait(self._interval_s)
            self._wake.clear()

    def _once(self) -> None:
        days = self._days()
        try:
            expired = self._expire(self.cut_off())
        except CommandError as exc:  # the database refused: reported in health already
            log.warning("retention (%d days) not done: %s; trying again within the hour", days, exc)
        except Exception:
            log.exception("retention (%d days) failed; trying again within the hour", days)
        else:
            if expired:
                log.info(
                    "retention: deleted what was older than %d days: %d feedback events, "
                    "%d track explanations, %d notes of the moods tracks were picked for, "
                    "%d times a mood changed the music, %d records of tracks played, "
                    "%d set-aside copies of unreadable state files, %d mood history samples, "
                    "%d health incidents",
                    days,
                    expired.feedback,
                    expired.explanations,
                    expired.picks,
                    expired.flips,
                    expired.plays,
                    expired.state_copies,
                    expired.mood_samples,
                    expired.incidents,
                )
