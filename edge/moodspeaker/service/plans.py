"""What a plan is to the service: its picks, what it was made under, and its outcome in health's words.

Why a module of its own: the conductor (`service.conductor`) makes and applies plans on several
threads, and the commands that plan first (Play, a switch of profile or strategy) turn a failed or
overtaken plan into a refusal.  Both need the same vocabulary: a `Plan` with the generation it was
made under, the `recommender` health state each outcome stands for, and a failure said in words
(`PlanningError`, `describe`, `storage_reason`).  Pure data and wording: no thread, no lock.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.hybrid import Outcome, Readiness
from moodspeaker.service.component_states import ComponentState

#: The `recommender` health component's state after a plan, by its outcome.  Nothing it may offer is
#: "empty", a state health's readers already show as a problem (the page's amber badge, as for an
#: empty library): the music stops there.  All tracks of a small library on already is READY, "ok".
HEALTH_STATES: dict[Readiness, ComponentState] = {
    Readiness.READY: ComponentState.OK,
    Readiness.OFF: ComponentState.OFF,
    Readiness.NOTHING: ComponentState.EMPTY,
}


@dataclass(frozen=True)
class Plan:
    """One plan and what it was made under (`generation`, see `service.conductor`): the picks, and its
    outcome as health's `recommender` (`state`, `detail`): `HEALTH_STATES` with the recommender's
    status sentence, or "error" with the reason when planning failed (then no picks, no `outcome`)."""

    generation: int
    items: list[QueueItem]
    outcome: Outcome | None = None
    error: str = ""  # why planning failed (then `outcome` is None)

    @property
    def state(self) -> ComponentState:
        return ComponentState.ERROR if self.outcome is None else HEALTH_STATES[self.outcome.readiness]

    @property
    def detail(self) -> str:
        return self.error if self.outcome is None else self.outcome.status


class PlanningError(RuntimeError):
    """Planning for a command failed; nothing was changed.  The message says why (`reason`, in a
    sentence for a refusal) and `__cause__` is the original error (a storage error: a corrupt or
    unreadable library index or database)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the queue could not be planned: {reason}")
        self.reason = reason


class OvertakenError(PlanningError):
    """Play's plan was overtaken twice: a switch of listener or strategy, or the end of the mood
    reading, came between planning and queueing each time; none of its picks were queued."""


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
