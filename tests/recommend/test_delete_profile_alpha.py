"""Deleting a profile forgets its part in the household's evidence count too.

The content share `alpha` falls as the household's feedback grows.  Deleting a profile dropped its
model and its collaborative contexts but kept its events in that count: the remaining (or next)
profiles' picks leaned on the collaborative model as if the deleted history were still there, until
a restart relearned from the store (where it is gone).
"""

from __future__ import annotations

from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

HAPPY = Mood.of("happy", 0.9)
NOW = 1_800_000_000.0


def make(tmp_path: Path, tracks: list[Track]) -> Recommender:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    rec = Recommender(Catalogue(tracks), store, Options.from_config(RecommendConfig()))
    for name in ("bo", "kim"):
        rec.create_profile(name, NOW)
    return rec


def test_a_deleted_profile_no_longer_counts_in_alpha(tmp_path: Path, tracks: list[Track]) -> None:
    rec = make(tmp_path, tracks)
    t = NOW
    for n in range(20):
        rec.feedback("bo", tracks[n].id, "completed", HAPPY, t)
        t += 200
    rec.feedback("kim", tracks[30].id, "completed", HAPPY, t)
    with_bo = rec.alpha(t)
    rec.delete_profile("bo")
    restarted = make(tmp_path, tracks)  # learns from the store, where bo's events are gone
    assert rec.alpha(t) == restarted.alpha(t) > with_bo  # failed before: still with_bo
    assert rec.plan(HAPPY, "kim", "match", t, 3)
