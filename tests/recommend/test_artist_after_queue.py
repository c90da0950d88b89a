"""The first pick of a plan is not by the artist of the track it will follow.

The speaker plans while a track plays (a new mood, a steer, a switch: `exclude` = the track playing)
and tops the queue up behind the tracks queued (`exclude` = those and the one playing).  Those are
not in the play history until they end, so the planner took the artist of the last track *played*
as the one to avoid: right after a song by A, the next pick was another song by A although other
artists fitted.  `after` names the track the first pick follows.
"""

from __future__ import annotations

from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)


def track(i: int, artist: str, v: float, a: float) -> Track:
    return Track(
        id=f"t{i}",
        location=f"/music/{i}.ogg",
        title=f"Song {i}",
        artist=artist,
        valence=v,
        arousal=a,
        energy=(a + 1) / 2,
        tempo=120 + 40 * a,
        loudness_lufs=-14 + 5 * a,
        mode=int(v > 0),
        brightness=0.5 + 0.3 * v,
    )


def library(tmp_path: Path) -> Recommender:
    """Three happy songs by A (the best for a happy face), one each by B, C and D."""
    tracks = [
        track(0, "A", 0.8, 0.5),
        track(1, "A", 0.75, 0.45),
        track(2, "A", 0.7, 0.4),
        track(3, "B", -0.3, 0.1),
        track(4, "C", -0.8, -0.6),
        track(5, "D", 0.0, 0.0),
    ]
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    rec = Recommender(Catalogue(tracks), store, Options.from_config(RecommendConfig()))
    rec.create_profile("kim", NOW)
    return rec


def test_a_new_plan_while_a_song_plays_starts_with_another_artist(tmp_path: Path) -> None:
    rec = library(tmp_path)
    picks = rec.plan(HAPPY, "kim", "match", NOW, 3, exclude=frozenset({"t0"}), after="t0")
    artists = [p.track.artist for p in picks]
    assert artists[0] != "A", artists  # failed before: t1 or t2, by A, right after t0 by A
    assert all(x != y for x, y in zip(["A", *artists], artists, strict=False)), artists


def test_a_top_up_does_not_repeat_the_artist_of_the_last_queued(tmp_path: Path) -> None:
    rec = library(tmp_path)
    queue = ["t0", "t5", "t1"]  # t0 playing, then D, then A
    picks = rec.plan(HAPPY, "kim", "match", NOW, 1, exclude=frozenset(queue), after="t1")
    assert picks and picks[0].track.artist != "A", [p.track.id for p in picks]


def test_after_a_track_gone_from_the_library_the_last_played_artist_counts(tmp_path: Path) -> None:
    rec = library(tmp_path)
    rec.feedback("kim", "t2", "completed", HAPPY, NOW - 10)
    picks = rec.plan(HAPPY, "kim", "match", NOW, 1, exclude=frozenset({"t2"}), after="gone")
    assert picks and picks[0].track.artist != "A", [p.track.id for p in picks]


def test_only_one_artist_left_is_still_played(tmp_path: Path) -> None:
    rec = library(tmp_path)
    rejected = ("t3", "t4", "t5")
    for n, tid in enumerate(rejected):
        rec.feedback("kim", tid, "dislike", HAPPY, NOW - 100 + n)
    picks = rec.plan(HAPPY, "kim", "match", NOW, 1, exclude=frozenset({"t0"}), after="t0")
    assert [p.track.artist for p in picks] == ["A"]
