"""One song in two files (a copy, the single and the album version with the same tags) counts as one
song: it is not planned twice in one queue, nor right after it was heard.  On a household library the
copy followed the song itself (the no-repeat rule went by file, and the same artist only had to be
kept one pick apart)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)


def _track(i: int, artist: str, title: str, valence: float) -> Track:
    return Track(
        id=f"t{i}", location=f"/music/{i}.mp3", title=title, artist=artist, valence=valence, arousal=0.5,
        energy=0.7, tempo=130.0, loudness_lufs=-10.0, mode=1, brightness=0.6,
    )  # fmt: skip


def _library() -> list[Track]:
    song = _track(0, "The Noise", "Loud Fast Banger", 0.9)
    copy = replace(song, id="t1", location="/music/Compilation/07.mp3")  # same tags, same sound
    others = [_track(2 + i, f"Band {i % 2}", f"Other {i}", 0.8 - 0.2 * i) for i in range(4)]
    return [song, copy, *others]


def _recommender(tmp_path: Path) -> Recommender:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    rec = Recommender(Catalogue(_library()), store, Options.from_config(RecommendConfig()))
    rec.create_profile("kim", NOW)
    return rec


def test_a_song_is_planned_once_per_queue(tmp_path: Path) -> None:
    picks = _recommender(tmp_path).plan(HAPPY, "kim", "match", NOW, 5)
    titles = [p.track.title for p in picks]
    assert titles.count("Loud Fast Banger") == 1, titles


def test_the_copy_of_a_song_heard_is_not_the_next_pick(tmp_path: Path) -> None:
    rec = _recommender(tmp_path)
    rec.feedback("kim", "t0", "completed", HAPPY, NOW)  # the song was heard
    after = [p.track.id for p in rec.plan(HAPPY, "kim", "match", NOW + 1, 3)]
    assert len(after) == 3 and "t1" not in after, after


def test_the_copy_of_the_song_playing_is_not_queued(tmp_path: Path) -> None:
    rec = _recommender(tmp_path)
    queued = [p.track.id for p in rec.plan(HAPPY, "kim", "match", NOW, 3, exclude=frozenset({"t1"}))]
    assert len(queued) == 3 and "t0" not in queued, queued


def test_a_library_of_only_the_song_twice_still_plays(tmp_path: Path) -> None:
    """When the copy is all that is allowed, it plays (like the no-repeat rule in a small library)."""
    song, copy = _library()[:2]
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    rec = Recommender(Catalogue([song, copy]), store, Options.from_config(RecommendConfig()))
    rec.create_profile("kim", NOW)
    first = rec.plan(HAPPY, "kim", "match", NOW, 1)[0].track
    rec.feedback("kim", first.id, "completed", HAPPY, NOW + 60)
    assert [p.track.id for p in rec.plan(HAPPY, "kim", "match", NOW + 61, 1)] == [
        ({"t0", "t1"} - {first.id}).pop()
    ]
