""" "Others in the household keep tracks like this" only when another profile kept the track.

The collaborative score of a pick comes from the profile's own context too: a listener alone in the
house who had kept a track once (less than her favourite) was told that *others* keep it.  The
reason now says so only when another profile's history has the track.
"""

from __future__ import annotations

from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)
OTHERS = "others in the household"


def recommender(tmp_path: Path, tracks: list[Track]) -> Recommender:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    options = Options.from_config(RecommendConfig(no_repeat_window=1))
    return Recommender(Catalogue(tracks), store, options)


def keep(rec: Recommender, profile: str, favourite: str, others: list[str], start: float) -> float:
    """`profile` likes and replays `favourite`, then plays `others` to the end; returns the time after."""
    rec.create_profile(profile, start)
    rec.feedback(profile, favourite, "like", HAPPY, start)
    rec.feedback(profile, favourite, "replayed", HAPPY, start + 200)
    rec.feedback(profile, favourite, "replayed", HAPPY, start + 400)
    for n, tid in enumerate(others):
        rec.feedback(profile, tid, "completed", HAPPY, start + 600 + 200 * n)
    return start + 600 + 200 * len(others)


def test_a_listener_alone_is_not_told_others_keep_her_tracks(tmp_path: Path, tracks: list[Track]) -> None:
    rec = recommender(tmp_path, tracks)
    best, fav, last = (p.track.id for p in rec.plan(HAPPY, "kim", "match", NOW - 1000, 3))
    end = keep(rec, "kim", fav, [best, last], NOW)
    assert rec.profiles() == ["kim"]
    picks = {p.track.id: p.reason for p in rec.plan(HAPPY, "kim", "match", end, 10)}
    assert best in picks  # kept once, close to the mood: planned again
    assert not [r for r in picks.values() if OTHERS in r], picks  # failed before: for `best`


def test_what_another_profile_kept_is_still_said_to_be_theirs(tmp_path: Path, tracks: list[Track]) -> None:
    rec = recommender(tmp_path, tracks)
    best, fav, last = (p.track.id for p in rec.plan(HAPPY, "kim", "match", NOW - 1000, 3))
    end = keep(rec, "bo", fav, [best], NOW)
    end = keep(rec, "kim", fav, [last], end)
    picks = {p.track.id: p.reason for p in rec.plan(HAPPY, "kim", "match", end, 10)}
    assert OTHERS in picks[best], picks
