"""The real recommender, with one plan held at the test's word: for tests of what a plan made on one
thread does while another thread acts (a switch, another plan) between its planning and its use.
Nothing of the recommender is replaced: the plan is made as ever, only returned when the test says."""

from __future__ import annotations

import threading
from typing import Any

from moodspeaker.recommend.hybrid import Outcome, Pick, Recommender
from moodspeaker.recommend.targets import MoodLike


class HeldRecommender(Recommender):
    """The real recommender; after `hold_next()`, the next plan (made on the thread named `thread`,
    or on any), once made (the recommender's lock released again), signals `planned` and waits for
    `release` before it is returned.  `asked`: the (profile, strategy) of every plan."""

    planned: threading.Event
    release: threading.Event
    _armed: bool = False
    _thread: str | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asked: list[tuple[str, str | None]] = []

    def hold_next(self, thread: str | None = None) -> None:
        self.planned, self.release = threading.Event(), threading.Event()
        self._armed, self._thread = True, thread

    def plan_with_outcome(
        self,
        mood: MoodLike | None,
        profile: str,
        strategy: str | None = None,
        now: float = 0.0,
        k: int = 5,
        *,
        exclude: frozenset[str] = frozenset(),
        after: str | None = None,
    ) -> tuple[list[Pick], Outcome]:
        held = self._armed and self._thread in (None, threading.current_thread().name)
        if held:
            self._armed = False
        self.asked.append((profile, strategy))
        made = super().plan_with_outcome(mood, profile, strategy, now, k, exclude=exclude, after=after)
        if held:
            self.planned.set()
            assert self.release.wait(30), "the test never released the held plan"
        return made
