"""Across a song's files the latest verdict in a mood wins, as it does for one file: a copy of a song
the listener liked last month is not offered once the song is disliked today (the like is older than
the dislike), while a copy liked after the dislike stays allowed.  Before, any like of the copy, however
old, kept it allowed after the song was disliked.  Real recommender, its sqlite store and a restart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

NOW = 1_800_000_000.0
DAY = 86_400.0
HAPPY = Mood.of("happy", 0.9)
OTHERS = 40


def _track(i: int, artist: str, title: str, valence: float) -> Track:
    return Track(
        id=f"t{i}", location=f"/music/{i}.flac", title=title, artist=artist, valence=valence, arousal=0.5,
        energy=0.7, tempo=130.0, loudness_lufs=-10.0, mode=1, brightness=0.6,
    )  # fmt: skip


def _library(copies: int = 2) -> list[Track]:
    """The song in `copies` files (t0, t1, ...: same tags, other folders), then OTHERS other songs."""
    song = _track(0, "The Band", "Journey's End", 0.9)
    twins = [replace(song, id=f"t{c}", location=f"/music/Copy {c}/07.flac") for c in range(1, copies)]
    others = [_track(copies + i, f"Band {i % 7}", f"Other {i}", 0.9 - 0.04 * i) for i in range(OTHERS)]
    return [song, *twins, *others]


def _recommender(tmp_path: Path, tracks: list[Track]) -> Recommender:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    return Recommender(Catalogue(tracks), store, Options.from_config(RecommendConfig()))


def _plays_since(rec: Recommender, start: float, first_other: int) -> float:
    """Other songs played after `start`, enough to take the song out of the recent plays (the
    no-repeat rule would keep its files out meanwhile).  Returns the time after them."""
    window = rec.options.no_repeat_window
    assert window + 5 < OTHERS, "the library must outlast the no-repeat window for this test"
    for i in range(window):
        rec.feedback("kim", f"t{first_other + i}", "completed", HAPPY, start + 60.0 * (i + 1))
    return start + 60.0 * (window + 1)


def _planned(rec: Recommender, now: float) -> list[str]:
    return [p.track.id for p in rec.plan(HAPPY, "kim", "match", now, OTHERS)]


def test_a_copy_liked_last_month_is_not_offered_after_the_song_is_disliked_today(tmp_path: Path) -> None:
    rec = _recommender(tmp_path, _library())
    rec.feedback("kim", "t1", "like", HAPPY, NOW - 20 * DAY)  # last month, well within the horizon
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    later = _plays_since(rec, NOW, 2)
    picks = _planned(rec, later)
    assert picks and "t0" not in picks and "t1" not in picks, picks
    # and after a restart, learned again from the store
    rec.store.close()
    again = _recommender(tmp_path, _library())
    assert "t1" not in _planned(again, later)


def test_a_copy_liked_after_the_dislike_stays_allowed(tmp_path: Path) -> None:
    rec = _recommender(tmp_path, _library())
    rec.feedback("kim", "t1", "dislike", HAPPY, NOW - 20 * DAY)  # the copy's own verdicts: no, then yes
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    rec.feedback("kim", "t1", "like", HAPPY, NOW + 30)
    picks = _planned(rec, _plays_since(rec, NOW + 30, 2))
    assert "t1" in picks and "t0" not in picks, picks


def test_the_newest_rejection_of_the_song_counts_against_a_like_between_them(tmp_path: Path) -> None:
    rec = _recommender(tmp_path, _library(copies=3))
    rec.feedback("kim", "t0", "skip", HAPPY, NOW - 2 * DAY, played_s=5.0)
    rec.feedback("kim", "t2", "like", HAPPY, NOW - DAY)  # newer than the skip of t0...
    rec.feedback("kim", "t1", "dislike", HAPPY, NOW)  # ...older than the dislike of t1
    picks = _planned(rec, _plays_since(rec, NOW, 3))
    assert picks and not {"t0", "t1", "t2"} & set(picks), picks


def test_a_library_of_the_song_twice_liked_before_its_dislike_says_both_are_rejected(tmp_path: Path) -> None:
    song, copy = _library()[:2]
    rec = _recommender(tmp_path, [song, copy])
    rec.feedback("kim", "t1", "like", HAPPY, NOW - DAY)
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    picks, outcome = rec.plan_with_outcome(HAPPY, "kim", "match", NOW + 3600, 2)
    assert picks == []
    assert outcome.status == "nothing left to offer: 2 tracks rejected in this mood (skipped or disliked)"
