"""A library holding one song in several files (its twins: same artist and title, other folders) and a
real recommender on its sqlite store, for the tests of rejections across a song's files
(test_rejected_twins, test_twin_verdict_order)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

NOW = 1_800_000_000.0
HAPPY = Mood.of("happy", 0.9)
OTHERS = 40


def track(i: int, artist: str, title: str, valence: float) -> Track:
    return Track(
        id=f"t{i}", location=f"/music/{i}.flac", title=title, artist=artist, valence=valence, arousal=0.5,
        energy=0.7, tempo=130.0, loudness_lufs=-10.0, mode=1, brightness=0.6,
    )  # fmt: skip


def library(copies: int = 2) -> list[Track]:
    """The song in `copies` files (t0, t1, ...: same tags, other folders), then OTHERS other songs."""
    song = track(0, "The Band", "Journey's End", 0.9)
    twins = [replace(song, id=f"t{c}", location=f"/music/Copy {c}/07.flac") for c in range(1, copies)]
    others = [track(copies + i, f"Band {i % 7}", f"Other {i}", 0.9 - 0.04 * i) for i in range(OTHERS)]
    return [song, *twins, *others]


def recommender(tmp_path: Path, tracks: list[Track]) -> Recommender:
    """The recommender on its store in `tmp_path`, with kim's profile (feedback never makes one)."""
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    rec = Recommender(Catalogue(tracks), store, Options.from_config(RecommendConfig()))
    rec.create_profile("kim", NOW)
    return rec


def plays_since(rec: Recommender, start: float, first_other: int) -> float:
    """Other songs played after `start`, enough to take the song out of the recent plays (the
    no-repeat rule would keep its files out meanwhile).  Returns the time after them."""
    window = rec.options.no_repeat_window
    assert window + 5 < OTHERS, "the library must outlast the no-repeat window for this test"
    for i in range(window):
        rec.feedback("kim", f"t{first_other + i}", "completed", HAPPY, start + 60.0 * (i + 1))
    return start + 60.0 * (window + 1)


def planned(rec: Recommender, now: float) -> list[str]:
    return [p.track.id for p in rec.plan(HAPPY, "kim", "match", now, OTHERS)]


def offered_neither(tmp_path: Path, rec: Recommender) -> None:
    """Once other songs took the song out of the recent plays, `rec` (on its store in `tmp_path`, over
    `library()`) offers neither of its two files, and again after a restart, learned from the store
    (`rec`'s store is closed)."""
    later = plays_since(rec, NOW, 2)
    picks = planned(rec, later)
    assert picks and "t0" not in picks and "t1" not in picks, picks
    rec.store.close()
    again = recommender(tmp_path, library())
    assert "t1" not in planned(again, later)
