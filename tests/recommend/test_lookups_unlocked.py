"""Feedback and plans look tracks up in the library without the recommender's lock.

A feedback row carries the track's features, looked up in the library when the catalogue view does
not hold it (`source.get`: the index on SQLite, a LAN mirror: slow on a Pi's SD card or a USB disk
waking up), and a plan checks that each pick is still in the library (`exists`).  Both lookups were
made holding the lock that every plan and every feedback waits for: one slow lookup held up the
picks and the feedback of every other thread (found_again's lookups were taken out of it in
f54a2c6).  Now they are made without it.  The slow lookup is a gate: the lookup of one thread is
held until a plan and a feedback asked for from another thread have been answered (or a minute
went by: before, they waited for the lookup, so they were not answered in it).  Real recommender,
real store on sqlite, a real in-memory track source (Catalogue) whose lookup is gated.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)


class HeldLookups(Catalogue):
    """A Catalogue whose first lookup (`get`), or first read of every track (`tracks`: `what`), on the
    thread named `held` runs `meanwhile` before answering."""

    def __init__(
        self, tracks: list[Track], held: str, meanwhile: Callable[[], None], what: str = "get"
    ) -> None:
        super().__init__(tracks)
        self._held, self._meanwhile, self._what, self.lookups = held, meanwhile, what, 0

    def _hold(self, what: str) -> None:
        if what == self._what and threading.current_thread().name == self._held:
            self.lookups += 1
            if self.lookups == 1:
                self._meanwhile()

    def get(self, track_id: str) -> Track | None:
        self._hold("get")
        return super().get(track_id)

    def tracks(self) -> list[Track]:
        self._hold("tracks")
        return super().tracks()


def _answered_meanwhile(
    tmp_path: Path, tracks: list[Track], held: Callable[[Recommender], None], what: str = "get"
) -> list[str]:
    """What a plan and a feedback from another thread answered while `held(rec)`'s first lookup (or
    read of every track: `what`, HeldLookups), on a thread of its own, was held."""
    answered: list[str] = []
    in_time: list[str] = []

    def meanwhile() -> None:
        def other() -> None:
            rec.plan(HAPPY, "Kim", now=NOW, k=3)
            answered.append("plan")
            rec.feedback("Bo", tracks[5].id, "like", HAPPY, NOW)
            answered.append("feedback")

        thread = threading.Thread(target=other, name="other")
        thread.start()
        thread.join(60)  # held by the lock, it waits until the lookup is over: not answered here
        in_time.extend(answered)

    source = HeldLookups(tracks, "held", meanwhile, what)
    rec = Recommender(
        source, FeedbackStore(tmp_path / "recommend.sqlite"), Options.from_config(RecommendConfig())
    )
    for name in ("Kim", "Bo"):
        rec.create_profile(name, NOW)
    worker = threading.Thread(target=held, args=(rec,), name="held")
    worker.start()
    worker.join(120)
    assert not worker.is_alive()
    assert source.lookups >= 1, "the held thread looked nothing up"
    return in_time


def test_a_plan_and_a_feedback_are_answered_while_a_feedback_looks_its_track_up(
    tmp_path: Path, tracks: list[Track]
) -> None:
    def like(rec: Recommender) -> None:  # before any plan: no catalogue view, the library is asked
        rec.feedback("Kim", tracks[0].id, "like", HAPPY, NOW)

    assert _answered_meanwhile(tmp_path, tracks, like) == ["plan", "feedback"]  # before: []


def test_a_plan_and_a_feedback_are_answered_while_a_plan_checks_its_picks(
    tmp_path: Path, tracks: list[Track]
) -> None:
    def plan(rec: Recommender) -> None:
        picks = rec.plan(HAPPY, "Kim", now=NOW, k=3)
        assert len(picks) == 3

    assert _answered_meanwhile(tmp_path, tracks, plan) == ["plan", "feedback"]  # before: []


def test_a_plan_and_a_feedback_are_answered_while_a_plan_reads_the_library_anew(
    tmp_path: Path, tracks: list[Track]
) -> None:
    """A plan after a rescan reads every track again (the catalogue view, rebuilt when the library
    changed: the whole index on a Pi's SD card): meanwhile other plans and feedback are answered."""

    def plan(rec: Recommender) -> None:  # the first plan: no catalogue view yet
        assert len(rec.plan(HAPPY, "Kim", now=NOW, k=3)) == 3

    assert _answered_meanwhile(tmp_path, tracks, plan, "tracks") == ["plan", "feedback"]  # before: []


class Hidden(Catalogue):
    """A Catalogue whose lookup no longer finds `hidden`, still in its feature matrix: tracks gone from
    the library since the catalogue was read."""

    def __init__(self, tracks: list[Track], hidden: set[str]) -> None:
        super().__init__(tracks)
        self.hidden = hidden

    def get(self, track_id: str) -> Track | None:
        return None if track_id in self.hidden else super().get(track_id)


def test_picks_gone_from_the_library_are_planned_without(tmp_path: Path, tracks: list[Track]) -> None:
    """The check made without the lock still keeps the gone tracks out: the plan is made again without
    them, as full as before; with every track gone there are no picks, and the outcome says why."""
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    source = Hidden(tracks, set())
    rec = Recommender(source, store, Options.from_config(RecommendConfig()))
    first = {p.track.id for p in rec.plan(HAPPY, "Kim", now=NOW, k=3)}
    source.hidden = set(first)
    again = rec.plan(HAPPY, "Kim", now=NOW, k=3)
    assert len(again) == 3 and not first & {p.track.id for p in again}
    source.hidden = {t.id for t in tracks}
    assert rec.plan(HAPPY, "Kim", now=NOW, k=3) == []
    assert rec.outcome.status.startswith("nothing left to offer"), rec.outcome.status


def test_a_catalogue_read_before_a_refresh_is_not_kept(tmp_path: Path, tracks: list[Track]) -> None:
    """A rescan's `refresh` made while a plan reads the library (without the lock now) is not undone by
    that plan: the view it read before is used for it only, and the next plan reads the library again."""

    def rescanned() -> None:  # as the service's rescan says so, while the plan reads the library
        rec.refresh()

    source = HeldLookups(tracks, "held", rescanned, "tracks")
    rec = Recommender(
        source, FeedbackStore(tmp_path / "recommend.sqlite"), Options.from_config(RecommendConfig())
    )
    worker = threading.Thread(target=lambda: rec.plan(HAPPY, "Kim", now=NOW, k=3), name="held")
    worker.start()
    worker.join(60)
    assert source.lookups == 1 and rec._view is None  # before: the view read before the refresh, kept
    assert len(rec.plan(HAPPY, "Kim", now=NOW, k=3)) == 3 and rec._view is not None
