"""A plan with no picks says so in the journal once per change of outcome, not at every plan.

A soak's speaker with nothing left to offer logged the same INFO line at each refill, about every
30 s ("no picks for the listener: nothing left to offer: 4 tracks rejected in this mood ..."): some
120 journal lines an hour for weeks.  Now the line is INFO (WARNING for an empty library) when the
outcome, readiness and sentence, is not the previous plan's, and DEBUG while it repeats; a plan
that has picks again in between makes the next dead end news again.  A real recommender on SQLite.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy")
LOGGER = "moodspeaker.recommend.hybrid"


def said(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """The "no picks" lines logged so far, (level, message), and forget them."""
    out = [(r.levelno, r.getMessage()) for r in caplog.records if r.getMessage().startswith("no picks")]
    caplog.clear()
    return out


def recommender(tmp_path: Path, tracks: list[Track]) -> Recommender:
    rec = Recommender(
        Catalogue(tracks),
        FeedbackStore(tmp_path / "recommend.sqlite"),
        Options.from_config(RecommendConfig()),
    )
    rec.create_profile("kim", NOW)
    return rec


def test_nothing_left_is_said_once_per_change(
    tmp_path: Path, tracks: list[Track], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    few = tracks[:5]
    rec = recommender(tmp_path, few)
    for i, t in enumerate(few[:3]):
        rec.feedback("kim", t.id, "dislike", HAPPY, NOW + i)
    playing = frozenset({few[3].id, few[4].id})  # one playing, one queued

    def plan(ts: float) -> None:
        assert rec.plan(HAPPY, "kim", "match", ts, 3, exclude=playing) == []

    for i in range(4):  # refills, 30 s apart
        plan(NOW + 60 + 30 * i)
    why = (
        "nothing left to offer: 3 tracks rejected in this mood (skipped or disliked),"
        " 2 tracks playing or queued already"
    )
    assert said(caplog) == [
        (logging.INFO, f"no picks for the listener: {why}"),
        *[(logging.DEBUG, f"no picks for the listener: {why}")] * 3,
    ]
    # a plan with picks (nothing playing or queued: the queue ran out) between: the same line is news again
    assert rec.plan(HAPPY, "kim", "match", NOW + 300, 3) != []
    plan(NOW + 330)
    plan(NOW + 360)
    assert said(caplog) == [
        (logging.INFO, f"no picks for the listener: {why}"),
        (logging.DEBUG, f"no picks for the listener: {why}"),
    ]
    rec.store.close()


def test_an_empty_library_is_warned_of_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    rec = recommender(tmp_path, [])
    for i in range(3):
        assert rec.plan(HAPPY, "kim", "match", NOW + 30 * i, 3) == []
    lines = said(caplog)
    assert [level for level, _ in lines] == [logging.WARNING, logging.DEBUG, logging.DEBUG], lines
    assert len({message for _, message in lines}) == 1 and rec.readiness.value == "nothing", lines
    rec.store.close()
