"""The conductor: turns moods into a queue and applies the reaction policy to the player.

It owns what the listener chose (profile, paused by hand) and asks the recommender for plans: a new
confident mood re-plans at once and, when the current track clearly clashes with the best new pick,
crossfades to it (`policy.clashes`); otherwise the queue is just kept topped up.

The active strategy is the active profile's: the one it chose (stored with the profile), else
`recommend.strategy`, the household default for profiles that never chose.  A switch of profile or
strategy plans first and changes nothing when planning fails: the queue and the playing track are
kept and the failure is raised as a PlanningError for the caller to refuse the command with.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable

from moodspeaker.config.schema import Config
from moodspeaker.mood.classes import UNKNOWN
from moodspeaker.mood.filter import MoodState
from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.hybrid import Readiness, Recommender
from moodspeaker.service.health import Health
from moodspeaker.service.policy import clashes

log = logging.getLogger(__name__)

#: After a refill found nothing to add, wait this long before asking the recommender again (unless
#: what was playing or queued then has gone since: see `Conductor.refill`).
REFILL_BACKOFF_S = 30.0

#: The `recommender` health component's state after a plan, by its outcome.  Nothing it may offer is
#: "empty", a state health's readers already show as a problem (the page's amber badge, as for an
#: empty library): the music stops there.  All tracks of a small library on already is READY, "ok".
HEALTH_STATES: dict[Readiness, str] = {
    Readiness.READY: "ok",
    Readiness.OFF: "off",
    Readiness.NOTHING: "empty",
}


class PlanningError(RuntimeError):
    """Planning for a command failed; nothing was changed.  The message says why and `__cause__`
    is the original error (a storage error: a corrupt or unreadable library index or database)."""


class Conductor:
    """Plans with the recommender and drives the player (called from the inference and housekeeping
    threads and from commands; every player call is a posted command, so this needs no lock)."""

    def __init__(self, config: Config, player: Player, recommender: Recommender, health: Health) -> None:
        self.config = config
        self.player = player
        self._recommender = recommender
        self.health = health
        self.profile: str = config.recommend.profile
        self.strategy: str = config.recommend.strategy  # the active profile's: see follow_profile()
        self.user_paused = False
        self.flips: deque[tuple[float, str]] = deque(maxlen=500)  # (monotonic time of a flip, first pick)
        self._quiet_until = 0.0
        self._quiet_exclude: frozenset[str] = frozenset()  # what was playing or queued at that try

    def retry_soon(self) -> None:
        """Something changed (library, profile, strategy): the next refill may plan again at once."""
        self._quiet_until = 0.0

    def strategy_of(self, profile: str) -> str:
        """The strategy `profile` chose, else the household default (storage errors propagate)."""
        return self._recommender.strategy_of(profile)

    def follow_profile(self) -> None:
        """Make the active strategy the active profile's (on start, and after its data was deleted)."""
        self.strategy = self.strategy_of(self.profile)

    def plan(self, mood: MoodState, k: int, exclude: set[str]) -> list[QueueItem]:
        """Up to `k` picks for the active profile and strategy; [] when planning failed, which is
        reported in health (the mood loop and refills go on; commands use `_plan_or_raise`)."""
        try:
            return self._plan_or_raise(mood, k, exclude, self.profile, self.strategy)
        except PlanningError:
            return []

    def _plan_or_raise(
        self, mood: MoodState, k: int, exclude: set[str], profile: str, strategy: str
    ) -> list[QueueItem]:
        """Up to `k` picks; the outcome is health's `recommender` state (`HEALTH_STATES`), and a
        failure is reported there as "error" and raised as a PlanningError."""
        t0 = time.monotonic()
        try:
            picks, outcome = self._recommender.plan_with_outcome(
                mood, profile, strategy, time.time(), k, exclude=frozenset(exclude)
            )
        except Exception as exc:
            log.exception("planning failed")
            reason = describe(exc)
            self.health.set_state("recommender", "error", reason[:200])
            raise PlanningError(f"the queue could not be planned: {reason}") from exc
        self.health.timing("plan", time.monotonic() - t0)
        self.health.set_state("recommender", HEALTH_STATES[outcome.readiness], outcome.status)
        return [QueueItem(p.track, p.reason, p.again) for p in picks]

    def react(self, mood: MoodState) -> None:
        """A new confident mood: re-plan at once; cut the current track only if it clearly clashes."""
        flip_at = time.monotonic()
        self._quiet_until = 0.0
        status = self.player.status()
        current = status.current
        items = self.plan(mood, self.config.recommend.queue_length, {current.track.id} if current else set())
        if not items:
            return
        cfg = self.config.player
        playing = status.state == "playing" and current is not None
        if (
            playing
            and current is not None
            and cfg.switch_on_clash
            and clashes(
                current.track, items[0].track, clash_distance=cfg.clash_distance, strategy=self.strategy
            )
        ):
            log.info("mood is now %s: %s clashes; switching", mood.mood, current.track.title)
            self.flips.append((flip_at, items[0].track.id))
            self.player.set_queue(items[1:])
            self.player.switch_to(items[0], fade_s=cfg.switch_fade_s)
            return
        self.player.set_queue(items)
        if status.state == "stopped" and cfg.autoplay and not self.user_paused:
            self.flips.append((flip_at, items[0].track.id))
            self.player.play()

    def refill(self, mood: MoodState) -> None:
        """Keep the queue topped up (housekeeping, every second).  A try that found nothing holds the
        next ones off for REFILL_BACKOFF_S, but only while every track then playing or queued still
        is: one that has ended may be planned again (in a one-track library, the only track can come
        back only once it has ended, and waiting out the back-off then would be silence)."""
        status = self.player.status()
        if status.ran_out and status.queue and status.state == "stopped" and not self.user_paused:
            self.player.play()  # tracks arrived just after the music ran out (planned as it did)
            return
        want = self.config.recommend.queue_length
        if len(status.queue) >= max(1, want // 2) or self.strategy == "off":
            return
        if status.current is None and mood.mood == UNKNOWN and not status.queue and not status.ran_out:
            return  # nothing to go on yet: wait for a mood (or Play)
        exclude = {i.track.id for i in status.queue}
        if status.current is not None:
            exclude.add(status.current.track.id)
        if time.monotonic() < self._quiet_until and exclude >= self._quiet_exclude:
            return  # the last try found nothing; a new mood, setting or rescan tries again sooner
        items = self.plan(mood, want - len(status.queue), exclude)
        if items:
            self.player.extend_queue(items)
        else:
            self._quiet_until = time.monotonic() + REFILL_BACKOFF_S
            self._quiet_exclude = frozenset(exclude)
        # Music that ran out (the rest of the queue was on a disk that went away) carries on with what
        # can still be played: the listener started it, so this is not autoplay.
        carry_on = self.config.player.autoplay or status.ran_out
        if status.state == "stopped" and carry_on and not self.user_paused and items:
            self.player.play()

    def switch_profile(
        self, mood: MoodState, profile: str, save: Callable[[list[QueueItem] | None], bool]
    ) -> bool:
        """Switch the listener and, with them, the strategy to theirs: read it and plan for `profile`
        first (a storage error propagates, a failed plan raises PlanningError: nothing has changed),
        then make both active and `save(queue)` with the queue the switch leaves (None: the queue as it
        is), before applying it: what is saved is the new listener with their own queue, never with
        the previous listener's.  When the save fails the previous profile and strategy are put back
        with the queue untouched and False is returned; on success the queue is the new listener's
        plan (kept as it was when their plan is empty: nothing better to offer).  Refills may try
        again at once only once the switch is in effect (see `change_strategy`)."""
        strategy = self.strategy_of(profile)
        items = self._plan_for(mood, profile, strategy)
        previous = self.profile, self.strategy
        self.profile, self.strategy = profile, strategy
        if not save(self._new_queue(items, strategy)):
            self.profile, self.strategy = previous
            return False
        self.retry_soon()
        self._queue_plan(items, strategy)
        return True

    def change_strategy(
        self, mood: MoodState, strategy: str, store: Callable[[], None]
    ) -> list[QueueItem] | None:
        """The active profile chose `strategy`: plan with it first (a failure raises PlanningError),
        then `store()` it with the profile (a storage error propagates), and only then make it active
        and queue the plan.  A failure at either step leaves the strategy, queue and track as they were.
        Returns the queue given to the player (None: the queue left as it was).  Refills may try again
        at once only once the strategy is active: one let through before would plan with the previous
        strategy (after a switch to "off": queue picks, and leave health's `recommender` "ok")."""
        items = self._plan_for(mood, self.profile, strategy)
        store()
        self.strategy = strategy
        self.retry_soon()
        return self._queue_plan(items, strategy)

    def _plan_for(self, mood: MoodState, profile: str, strategy: str) -> list[QueueItem]:
        current = self.player.status().current
        exclude = {current.track.id} if current else set()
        return self._plan_or_raise(mood, self.config.recommend.queue_length, exclude, profile, strategy)

    @staticmethod
    def _new_queue(items: list[QueueItem], strategy: str) -> list[QueueItem] | None:
        """What comes after the current track: the new plan; none under "off" (no automatic picks);
        None, the queue as it was, when a plan found nothing (every track rejected or queued)."""
        return items if items or strategy == "off" else None

    def _queue_plan(self, items: list[QueueItem], strategy: str) -> list[QueueItem] | None:
        new = self._new_queue(items, strategy)
        if new is not None:
            self.player.set_queue(new)
        return new


def storage_reason(exc: BaseException) -> str:
    """A storage failure in words for a refusal: a full disk said plainly, anything else as it came."""
    text = str(exc)
    return "the disk is full" if "full" in text.lower() else f"storage error ({text})"


def describe(exc: BaseException) -> str:
    """A planning failure in words: a storage error as `storage_reason` says it, anything else with
    its type, since its message alone may be a bare key or number."""
    if isinstance(exc, sqlite3.Error | OSError):
        return storage_reason(exc)
    return f"{type(exc).__name__}: {exc}"
