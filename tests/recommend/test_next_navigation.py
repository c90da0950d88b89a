"""A skip in a track's first seconds (BARELY_HEARD_S) is navigation: no verdict, no evidence, a play.

The service test (tests/service/test_next_burst.py) presses Next in a burst on the real appliance;
here the learner's rule itself: such a skip leaves the track's verdict in that mood as it was (none,
or an earlier like or skip), teaches the mapping and the household nothing, and still counts as a
recent play for the no-repeat rule.  A skip with no heard time (rows of before it was recorded) and
one at BARELY_HEARD_S or later is a rejection as before.
"""

from __future__ import annotations

import numpy as np

from moodspeaker.recommend.content import FEATURE_COLUMNS
from moodspeaker.recommend.feedback import BARELY_HEARD_S, Observation, PersonalModel, evidence_weight
from moodspeaker.recommend.targets import Mood

NOW = 1_800_000_000.0
HORIZON = 42 * 86400.0


def skip(track_id: str, ts: float, played_s: float | None, kind: str = "skip") -> Observation:
    features = np.zeros(len(FEATURE_COLUMNS), np.float32)
    return Observation(track_id, kind, Mood.of("happy"), ts, features=features, played_s=played_s)


def test_a_skip_before_barely_heard_is_a_play_and_no_verdict() -> None:
    model = PersonalModel(half_life_s=14 * 86400.0, no_repeat_window=30)
    for i, tid in enumerate(("a", "b", "c")):
        model.observe(skip(tid, NOW + i, 0.4))
    assert model.rejected("happy", NOW + 10, HORIZON) == set()
    assert model.recent == ["a", "b", "c"]  # the no-repeat rule moves on past them
    assert model.evidence == 0.0 and evidence_weight("skip", 0.4) == 0.0
    assert model.verdict("happy", "a") is None


def test_a_flash_past_keeps_the_earlier_verdict() -> None:
    model = PersonalModel(half_life_s=14 * 86400.0)
    model.observe(skip("liked", NOW, None, kind="like"))
    model.observe(skip("skipped", NOW + 1, 12.0))
    model.observe(skip("liked", NOW + 2, 0.1))
    model.observe(skip("skipped", NOW + 3, 0.1))
    assert model.liked("happy", "liked")
    assert model.rejected("happy", NOW + 10, HORIZON) == {"skipped"}


def test_skips_after_barely_heard_or_of_unknown_length_still_reject() -> None:
    model = PersonalModel(half_life_s=14 * 86400.0)
    model.observe(skip("at", NOW, BARELY_HEARD_S))
    model.observe(skip("later", NOW + 1, 25.0))
    model.observe(skip("unknown", NOW + 2, None))
    model.observe(skip("disliked", NOW + 3, 0.2, kind="dislike"))
    assert model.rejected("happy", NOW + 10, HORIZON) == {"at", "later", "unknown", "disliked"}
    assert evidence_weight("skip", BARELY_HEARD_S) == -1.0 and evidence_weight("skip", None) == -1.0
