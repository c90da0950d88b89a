"""A like of one file of a song after a rejection of another clears the rejection for the whole song:
across a song's files the latest verdict in a mood wins (planner.Allowed._rejected), so a listener who
disliked the single and then liked the album version likes the song.  Before, the disliked file stayed
rejected by its own verdict: with the liked file out of reach (its disk unplugged) the song was not
offered at all, from a copy the listener had no word against either.  Nor is the disliked file scored
below an untouched copy once the song is liked.  Real recommender, its sqlite store and a restart."""

from __future__ import annotations

from pathlib import Path

from moodspeaker.recommend import Recommender
from twinkit import HAPPY, NOW, library, plays_since, recommender


def _song_only_from(rec: Recommender, now: float, *unreachable: str) -> dict[str, float]:
    """The song's files planned (with their scores) when `unreachable` could not be opened."""
    for tid in unreachable:
        rec.feedback("kim", tid, "missing", HAPPY, now)
    picks = rec.plan(HAPPY, "kim", "match", now + 1, 50)  # all it may offer
    return {p.track.id: p.score for p in picks if p.track.id in {"t0", "t1", "t2"}}


def _disliked_then_liked(path: Path) -> tuple[Recommender, float]:
    """t0 disliked, then its copy t1 liked, then other songs played; the recommender and the time after."""
    rec = recommender(path, library(copies=3))
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    rec.feedback("kim", "t1", "like", HAPPY, NOW + 30)  # the song is liked now: the latest word
    return rec, plays_since(rec, NOW + 30, 3)


def test_a_like_of_one_file_clears_the_dislike_of_its_copy(tmp_path: Path) -> None:
    rec, later = _disliked_then_liked(tmp_path)
    assert list(_song_only_from(rec, later, "t1", "t2")) == ["t0"]
    # and after a restart, learned again from the store (the missing marks with it)
    rec.store.close()
    again = recommender(tmp_path, library(copies=3))
    assert list(_song_only_from(again, later + 10)) == ["t0"]


def test_the_disliked_file_scores_as_an_untouched_copy_once_the_song_is_liked(tmp_path: Path) -> None:
    rec, later = _disliked_then_liked(tmp_path / "a")
    disliked = _song_only_from(rec, later, "t1", "t2")
    other, _ = _disliked_then_liked(tmp_path / "b")  # the same history, t0 out of reach instead of t2
    untouched = _song_only_from(other, later, "t0", "t1")
    assert set(disliked) == {"t0"} and set(untouched) == {"t2"}, (disliked, untouched)
    assert abs(disliked["t0"] - untouched["t2"]) < 1e-3, (disliked, untouched)


def test_a_rejection_after_the_like_still_keeps_every_file_out(tmp_path: Path) -> None:
    rec = recommender(tmp_path, library(copies=3))
    rec.feedback("kim", "t1", "like", HAPPY, NOW)
    rec.feedback("kim", "t0", "skip", HAPPY, NOW + 30, played_s=4.0)  # the latest word is a no
    later = plays_since(rec, NOW + 30, 3)
    assert _song_only_from(rec, later) == {}
    assert _song_only_from(rec, later + 10, "t2") == {}
