"""A replay undoes an earlier skip in the same mood: the strongest positive signal outweighs a skip.

Before the fix a `replayed` event left the track blocked in that mood (only skip, dislike, like and
wrong mood were verdicts), so a track the listener skipped once and then asked to hear again was
never offered again in that mood until the skip faded out (three half-lives).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender
from moodspeaker.recommend.content import FEATURE_COLUMNS
from moodspeaker.recommend.feedback import Observation, PersonalModel

NOW = 1_800_000_000.0
HORIZON = 3 * 14 * 86400.0


def obs(track_id: str, kind: str, mood: str, ts: float) -> Observation:
    features = np.zeros(len(FEATURE_COLUMNS), np.float32)
    return Observation(track_id, kind, Mood.of(mood), ts, features=features, artist=f"artist-{track_id}")


def test_a_replay_clears_an_earlier_skip_in_that_mood_only() -> None:
    model = PersonalModel(half_life_s=14 * 86400.0, no_repeat_window=1)
    model.observe(obs("x", "skip", "sad", NOW))
    model.observe(obs("x", "skip", "happy", NOW + 10))
    model.observe(obs("y", "completed", "happy", NOW + 20))  # x is no longer a recent play
    assert "x" in model.blocked("happy", NOW + 30, HORIZON)
    model.observe(obs("x", "replayed", "happy", NOW + 40))
    model.observe(obs("y", "completed", "happy", NOW + 50))  # the replay itself leaves the recent window
    assert "x" not in model.blocked("happy", NOW + 60, HORIZON)
    assert model.liked("happy", "x")
    assert "x" in model.blocked("sad", NOW + 60, HORIZON)  # the skip when sad still stands
    # the latest verdict wins both ways: skipped again after the replay, it is blocked again
    model.observe(obs("x", "skip", "happy", NOW + 70))
    model.observe(obs("y", "completed", "happy", NOW + 80))
    assert "x" in model.blocked("happy", NOW + 90, HORIZON)


def test_the_recommender_offers_a_skipped_track_again_after_its_replay(
    tmp_path: Path, tracks: list[Track]
) -> None:
    happy = Mood.of("happy")
    path = tmp_path / "recommend.sqlite"
    opts = Options.from_config(RecommendConfig(), no_repeat_window=1)
    rec = Recommender(Catalogue(tracks), FeedbackStore(path), opts)
    for name in ("alice", "bob"):
        rec.create_profile(name, NOW)
    everything = len(tracks)

    def offered(r: Recommender, ts: float) -> set[str]:
        return {p.track.id for p in r.plan(happy, "alice", "match", ts, everything)}

    first = rec.plan(happy, "alice", "match", NOW, 2)
    skipped, other = first[0].track.id, first[1].track.id
    rec.feedback("alice", skipped, "skip", happy, NOW + 5, played_s=4.0)
    rec.feedback("alice", other, "completed", happy, NOW + 200)
    assert skipped not in offered(rec, NOW + 300)
    rec.feedback("alice", skipped, "replayed", happy, NOW + 400)
    rec.feedback("alice", other, "completed", happy, NOW + 600)
    assert skipped in offered(rec, NOW + 700)
    # the same after a restart: the models are rebuilt from the stored events in time order
    again = Recommender(Catalogue(tracks), FeedbackStore(path), opts)
    assert skipped in offered(again, NOW + 700)
    # and another listener's replay does not lift alice's skip of a track in that mood
    rec.feedback("alice", other, "skip", happy, NOW + 800, played_s=3.0)
    rec.feedback("bob", other, "replayed", happy, NOW + 900)
    rec.feedback("alice", skipped, "completed", happy, NOW + 1000)
    assert other not in offered(rec, NOW + 1100)
