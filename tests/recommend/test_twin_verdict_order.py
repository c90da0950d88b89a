"""Across a song's files the latest verdict in a mood wins, as it does for one file: a copy of a song
the listener liked last month is not offered once the song is disliked today (the like is older than
the dislike), while a copy liked after the dislike stays allowed.  Before, any like of the copy, however
old, kept it allowed after the song was disliked.  Real recommender, its sqlite store and a restart."""

from __future__ import annotations

from pathlib import Path

from twinkit import HAPPY, NOW, offered_neither
from twinkit import library as _library
from twinkit import planned as _planned
from twinkit import plays_since as _plays_since
from twinkit import recommender as _recommender

DAY = 86_400.0


def test_a_copy_liked_last_month_is_not_offered_after_the_song_is_disliked_today(tmp_path: Path) -> None:
    rec = _recommender(tmp_path, _library())
    rec.feedback("kim", "t1", "like", HAPPY, NOW - 20 * DAY)  # last month, well within the horizon
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    offered_neither(tmp_path, rec)  # and after a restart, learned again from the store


def test_a_copy_liked_after_the_dislike_stays_allowed(tmp_path: Path) -> None:
    rec = _recommender(tmp_path, _library())
    rec.feedback("kim", "t1", "dislike", HAPPY, NOW - 20 * DAY)  # the copy's own verdicts: no, then yes
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    rec.feedback("kim", "t1", "like", HAPPY, NOW + 30)
    picks = _planned(rec, _plays_since(rec, NOW + 30, 2))
    # t0 is allowed too (test_liked_twin_clears), but a song is in a plan once: from the liked file
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
