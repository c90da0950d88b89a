"""Asking the recommender for a plan, for the conductor (`service.conductor`).

Why a module of its own: the conductor's refills, re-plans, Play and switches all ask the same way
(picks for a mood, profile and strategy, the time it took to health, a failure said in words as a
PlanningError), and the conductor itself is about when a plan is made and applied.  No lock, no
state of its own: the caller notes what it plans under and records the outcome (`Conductor._record`).
"""

from __future__ import annotations

import logging
import time

from moodspeaker.mood.filter import MoodState
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.hybrid import Outcome, Recommender
from moodspeaker.service.health import Health
from moodspeaker.service.plans import PlanningError, describe

log = logging.getLogger(__name__)


class Planner:
    """Plans with `recommender`, timing each plan in `health` (thread-safe as they are)."""

    def __init__(self, recommender: Recommender, health: Health) -> None:
        self._recommender = recommender
        self._health = health

    def plan_or_raise(
        self,
        mood: MoodState,
        k: int,
        exclude: set[str],
        profile: str,
        strategy: str,
        *,
        after: str | None = None,
    ) -> tuple[list[QueueItem], Outcome]:
        """Up to `k` picks and how the plan came out (recorded by the caller: `Conductor._record`); a
        failure raises a PlanningError.  `after`: the track the first pick follows (its artist is not
        the first pick's)."""
        t0 = time.monotonic()
        try:
            picks, outcome = self._recommender.plan_with_outcome(
                mood, profile, strategy, time.time(), k, exclude=frozenset(exclude), after=after
            )
        except Exception as exc:
            log.exception("planning failed")
            reason = describe(exc)
            raise PlanningError(reason) from exc
        self._health.timing("plan", time.monotonic() - t0)
        return [QueueItem(p.track, p.reason, p.again) for p in picks], outcome
