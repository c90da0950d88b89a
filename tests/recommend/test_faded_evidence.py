"""Feedback faded to nothing does not stop the plans.

A Pi without a clock records its first feedback near 1970; once NTP sets the date, decades of
half-lives have passed (also a short `half_life_days` and a long retention).  The mood's faded
weights were 0 and 0, and the trust in its estimate was 0/0: every plan for that profile in that
mood raised ZeroDivisionError (health: planning failed; no music) until retention deleted the rows.
"""

from __future__ import annotations

from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

HAPPY = Mood.of("happy", 0.9)


def test_plans_go_on_after_the_clock_jumps_decades_ahead(tmp_path: Path, tracks: list[Track]) -> None:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    rec = Recommender(Catalogue(tracks), store, Options.from_config(RecommendConfig()))
    rec.create_profile("kim", 0.0)
    t = 100.0  # before NTP
    for i in range(6):
        pick = rec.plan(HAPPY, "kim", "match", t, 1)[0]
        kind, played = ("completed", None) if i % 2 else ("skip", 5.0)
        rec.feedback("kim", pick.track.id, kind, HAPPY, t + 200, played_s=played)
        t += 200
    picks = rec.plan(HAPPY, "kim", "match", 1_800_000_000.0, 3)  # raised before
    assert len(picks) == 3
    assert rec.status == "ready"
