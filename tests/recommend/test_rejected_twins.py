"""A song disliked in one file is not offered from its other files (the same song by its tags: a copy,
the single and the album version), as the no-repeat rule already counts them as one song.  On a
household library the dislike of a song covered that file only, and once the song left the recent
plays its copy in another folder was offered again.  A copy the listener liked stays allowed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)
OTHERS = 40


def _track(i: int, artist: str, title: str, valence: float) -> Track:
    return Track(
        id=f"t{i}", location=f"/music/{i}.flac", title=title, artist=artist, valence=valence, arousal=0.5,
        energy=0.7, tempo=130.0, loudness_lufs=-10.0, mode=1, brightness=0.6,
    )  # fmt: skip


def _library() -> list[Track]:
    song = _track(0, "The Band", "Journey's End", 0.9)
    copy = replace(song, id="t1", location="/music/Best Of/07 Journey's End.flac")  # same tags
    others = [_track(2 + i, f"Band {i % 7}", f"Other {i}", 0.9 - 0.04 * i) for i in range(OTHERS)]
    return [song, copy, *others]


def _recommender(tmp_path: Path, tracks: list[Track]) -> Recommender:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    return Recommender(Catalogue(tracks), store, Options.from_config(RecommendConfig()))


def _weeks_of_plays(rec: Recommender) -> float:
    """The other songs played since, enough to take the disliked one out of the recent plays (the
    no-repeat rule, which kept its copy out meanwhile).  Returns the time after them."""
    window = rec.options.no_repeat_window
    assert window + 5 < OTHERS, "the library must outlast the no-repeat window for this test"
    for i in range(window):
        rec.feedback("kim", f"t{2 + i}", "completed", HAPPY, NOW + 60.0 * (i + 1))
    return NOW + 60.0 * (window + 1)


def test_a_disliked_song_is_not_offered_from_its_copy(tmp_path: Path) -> None:
    rec = _recommender(tmp_path, _library())
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    later = _weeks_of_plays(rec)
    picks = [p.track.id for p in rec.plan(HAPPY, "kim", "match", later, OTHERS)]
    assert picks and "t0" not in picks and "t1" not in picks, picks
    # and after a restart, learned again from the store
    rec.store.close()
    again = _recommender(tmp_path, _library())
    assert "t1" not in [p.track.id for p in again.plan(HAPPY, "kim", "match", later, OTHERS)]


def test_a_copy_the_listener_liked_stays_allowed(tmp_path: Path) -> None:
    rec = _recommender(tmp_path, _library())
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    rec.feedback("kim", "t1", "like", HAPPY, NOW + 30)  # after the dislike: the latest verdict wins
    later = _weeks_of_plays(rec)
    picks = [p.track.id for p in rec.plan(HAPPY, "kim", "match", later, OTHERS)]
    assert "t1" in picks and "t0" not in picks, picks


def test_a_library_of_the_disliked_song_twice_says_both_are_rejected(tmp_path: Path) -> None:
    song, copy = _library()[:2]
    rec = _recommender(tmp_path, [song, copy])
    rec.feedback("kim", "t0", "dislike", HAPPY, NOW)
    picks, outcome = rec.plan_with_outcome(HAPPY, "kim", "match", NOW + 3600, 2)
    assert picks == []
    assert outcome.status == "nothing left to offer: 2 tracks rejected in this mood (skipped or disliked)"
