"""A song disliked in one file is not offered from its other files (the same song by its tags: a copy,
the single and the album version), as the no-repeat rule already counts them as one song.  On a
household library the dislike of a song covered that file only, and once the song left the recent
plays its copy in another folder was offered again.  A copy the listener liked stays allowed."""

from __future__ import annotations

from pathlib import Path

from twinkit import HAPPY, NOW, library, offered_neither, planned, plays_since, recommender


def test_a_disliked_song_is_not_offered_from_its_copy(tmp_path: Path) -> None:
    rec = recommender(tmp_path, library())
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    offered_neither(tmp_path, rec)  # and after a restart, learned again from the store


def test_a_copy_the_listener_liked_stays_allowed(tmp_path: Path) -> None:
    rec = recommender(tmp_path, library())
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    rec.feedback("kim", "t1", "like", HAPPY, NOW + 30)  # after the dislike: the latest verdict wins
    later = plays_since(rec, NOW, 2)
    picks = planned(rec, later)
    # t0 is allowed too (test_liked_twin_clears), but a song is in a plan once: from the liked file
    assert "t1" in picks and "t0" not in picks, picks


def test_a_library_of_the_disliked_song_twice_says_both_are_rejected(tmp_path: Path) -> None:
    song, copy = library()[:2]
    rec = recommender(tmp_path, [song, copy])
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    picks, outcome = rec.plan_with_outcome(HAPPY, "kim", "match", NOW + 3600, 2)
    assert picks == []
    assert outcome.status == "nothing left to offer: 2 tracks rejected in this mood (skipped or disliked)"
