"""Recommender.plan / feedback end to end on real tracks and a real SQLite store."""

from __future__ import annotations

from itertools import pairwise

from moodspeaker.recommend import Mood, Recommender

NOW = 1_800_000_000.0


def test_match_sad_picks_sad_music(rec: Recommender) -> None:
    picks = rec.plan(Mood.of("sad", 0.9), "alice", "match", NOW, 5)
    assert len(picks) == 5
    assert all(p.track.valence < 0 and p.track.arousal < 0.1 for p in picks)
    assert all(p.reason.startswith("you look") for p in picks)


def test_match_angry_and_happy_differ(rec: Recommender) -> None:
    angry = rec.plan(Mood.of("angry"), "a", "match", NOW, 5)
    happy = rec.plan(Mood.of("happy"), "b", "match", NOW, 5)
    assert sum(p.track.arousal for p in angry) / 5 > 0.3
    assert sum(p.track.valence for p in happy) / 5 > 0.4
    assert sum(p.track.valence for p in angry) / 5 < -0.3


def test_uplift_moves_towards_happier(rec: Recommender) -> None:
    picks = rec.plan(Mood.of("sad"), "alice", "uplift", NOW, 5)
    vals = [p.track.valence for p in picks]
    assert vals[0] < 0 < vals[-1]
    assert "step 1 of 4" in picks[0].reason


def test_no_same_artist_twice_in_a_row(rec: Recommender) -> None:
    picks = rec.plan(Mood.of("happy"), "alice", "match", NOW, 10)
    artists = [p.track.artist for p in picks]
    assert all(a != b for a, b in pairwise(artists))


def test_played_tracks_are_not_repeated(rec: Recommender) -> None:
    rec.create_profile("alice", NOW)
    mood = Mood.of("neutral")
    seen: set[str] = set()
    for i in range(20):
        pick = rec.plan(mood, "alice", "match", NOW + i * 200, 1)[0]
        assert pick.track.id not in seen
        seen.add(pick.track.id)
        rec.feedback("alice", pick.track.id, "completed", mood, NOW + i * 200 + 180)


def test_off_gives_nothing_and_says_so(rec: Recommender) -> None:
    assert rec.plan(Mood.of("sad"), "alice", "off", NOW, 5) == []
    assert "off" in rec.status
