"""A pick from a library not analysed yet does not say it is calmer "as you asked".

While analysis runs, picks are the library in shuffled order: nothing is known of how they sound,
so a "calmer" request cannot have chosen them.  Before the fix the reason read "not analysed yet;
played from your library while analysis runs; calmer, as you asked".
"""

from __future__ import annotations

import math
from pathlib import Path

from moodspeaker.config.schema import RecommendConfig
from moodspeaker.library.track import Track
from moodspeaker.recommend import Catalogue, FeedbackStore, Mood, Options, Recommender

HAPPY = Mood.of("happy", 0.9)
NAN = math.nan


def track(i: int, *, analysed: bool) -> Track:
    v, a = (0.5, 0.5) if analysed else (NAN, NAN)
    return Track(
        id=f"t{i}",
        location=f"/music/{i}.ogg",
        title=f"Song {i}",
        artist=f"Artist {i}",
        valence=v,
        arousal=a,
        energy=0.7 if analysed else NAN,
        tempo=130.0 if analysed else NAN,
        loudness_lufs=-10.0 if analysed else NAN,
        brightness=0.6 if analysed else NAN,
    )


def recommender(tmp_path: Path, tracks: list[Track]) -> Recommender:
    store = FeedbackStore(tmp_path / "recommend.sqlite")
    return Recommender(Catalogue(tracks), store, Options.from_config(RecommendConfig()))


def test_an_unanalysed_pick_is_not_said_to_be_calmer(tmp_path: Path) -> None:
    rec = recommender(tmp_path, [track(i, analysed=False) for i in range(4)])
    rec.create_profile("kim", 0.0)  # a request is kept for a stored profile only
    rec.steer("kim", HAPPY, -0.5)
    picks = rec.plan(HAPPY, "kim", "match", 1_800_000_000.0, 2)
    assert picks and all("not analysed yet" in p.reason for p in picks), picks
    assert not [p.reason for p in picks if "as you asked" in p.reason]  # failed before


def test_an_analysed_pick_still_says_so(tmp_path: Path) -> None:
    rec = recommender(tmp_path, [track(i, analysed=True) for i in range(4)])
    rec.create_profile("kim", 0.0)  # a request is kept for a stored profile only
    rec.steer("kim", HAPPY, -0.5)
    picks = rec.plan(HAPPY, "kim", "match", 1_800_000_000.0, 2)
    assert picks and all(p.reason.endswith("; calmer, as you asked") for p in picks), picks
