"""Pure parts: mood -> target, normalisation and distances, diversity, explanations."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodspeaker.library.track import Track
from moodspeaker.recommend import explain
from moodspeaker.recommend.content import (
    FEATURE_COLUMNS,
    normalise,
    weight_vector,
    weighted_sq_distance,
)
from moodspeaker.recommend.preference import TASTE_KEYS, fit_taste, taste_vector
from moodspeaker.recommend.targets import Mood, lifts, mood_point, music_point, target_point


def test_match_targets_the_mood_and_steady_has_none() -> None:
    sad = Mood.of("sad", 1.0)
    point = target_point(sad, "match")
    assert point is not None
    v, a = point
    assert v < -0.5 and a < -0.3
    assert target_point(sad, "steady") is None
    assert target_point(sad, "off") is None
    assert target_point(Mood.of("unknown"), "match") is None
    with pytest.raises(ValueError, match="unknown strategy"):
        target_point(sad, "cheerful")


@settings(deadline=None)  # the machine is shared: no per-example time limit
@given(
    st.sampled_from(["sad", "angry", "fear", "neutral", "disgust", "surprise", "contempt"]),
    st.floats(0, 1),
)
def test_uplift_starts_at_the_mood_and_moves_monotonically_towards_calm_and_happy(
    mood: str, conf: float
) -> None:
    m = Mood.of(mood, conf)
    start = mood_point(m)
    points = [target_point(m, "uplift", step, 4) for step in range(7)]
    assert points[0] == pytest.approx(start)
    vals = [p[0] for p in points if p]
    assert all(b >= a - 1e-9 for a, b in pairwise(vals))  # never less happy
    assert points[4] == points[6]  # the goal is held once reached
    goal = points[6]
    assert goal is not None
    gv, ga = goal
    assert gv >= 0.5 - 1e-9 and -0.25 - 1e-9 <= ga <= 0.3 + 1e-9  # happier, calm if agitated


@settings(deadline=None)
@given(st.floats(0, 1), st.floats(-1, 1), st.floats(-1, 1))
def test_uplift_leaves_a_bright_mood_where_it_is(conf: float, valence: float, arousal: float) -> None:
    """A happy face (however unsure), or any mood at the goal's valence already, is not lifted."""
    happy = Mood("happy", conf, valence, arousal)
    assert not lifts(happy)
    assert {target_point(happy, "uplift", step, 4) for step in range(6)} == {target_point(happy, "match")}
    bright = Mood("neutral", 1.0, 0.6, 0.8)
    assert not lifts(bright) and target_point(bright, "uplift", 3, 4) == target_point(bright, "match")
    assert lifts(Mood.of("neutral", conf)) and lifts(Mood.of("sad", conf))


def test_low_confidence_pulls_towards_neutral() -> None:
    sure = mood_point(Mood.of("angry", 1.0))
    unsure = mood_point(Mood.of("angry", 0.0))
    assert abs(unsure[1]) < abs(sure[1])
    nan = mood_point(Mood("sad", float("nan"), float("nan"), float("nan")))
    assert all(np.isfinite(nan))


def test_normalise_scales_and_keeps_nan() -> None:
    raw = np.array([[0.5, -0.5, 1.0, 180.0, -6.0, 1, 1.0], [np.nan] * 7], np.float32)
    z = normalise(raw)
    assert z[0].tolist() == pytest.approx([0.5, -0.5, 1.0, 1.0, 1.0, 1.0, 1.0])
    assert np.isnan(z[1]).all()
    with pytest.raises(ValueError, match="shape"):
        normalise(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="unknown feature weight"):
        weight_vector({"danceability": 1.0})


def test_weighted_distance_matches_the_plain_formula() -> None:
    rng = np.random.default_rng(0)
    z = rng.uniform(-1, 1, (50, len(FEATURE_COLUMNS))).astype(np.float32)
    t = music_point(0.3, -0.2)
    p = rng.uniform(0.1, 3, len(FEATURE_COLUMNS)).astype(np.float32)
    zc = np.ascontiguousarray(z.T)
    fast = weighted_sq_distance(zc, t, p, zc * zc)
    assert fast == pytest.approx(((z - t) ** 2) @ p, rel=1e-4, abs=1e-4)


def test_reason_reads_like_the_issue_example() -> None:
    track = Track("t", "/x", "T", "A", valence=-0.2, arousal=-0.6, tempo=80.0, mode=0)
    ev = explain.Evidence(strategy="match", mood="sad", own_context=0.8, day_part="evening")
    text = explain.reason("sad", 0.71, track, ev)
    assert text == (
        "you look sad (71% sure); calm, slow, minor key; you often keep tracks like this in the evening"
    )
    cold = explain.reason("angry", 0.6, track, explain.Evidence(strategy="match", mood="angry"))
    assert cold.startswith("you look angry (60% sure)") and "first guess" in cold
    assert explain.mood_phrase("unknown", 0.0) == "no face seen"


def test_taste_vector_reads_spotify_and_library_descriptors() -> None:
    v = taste_vector({"danceability": 0.8, "onset_rate": 4.0, "flatness": 0.6, "key": 7.0})
    d = dict(zip(TASTE_KEYS, v, strict=True))
    assert d["danceability"] == 0.8 and d["onset_rate"] == 0.5 and d["flatness"] == 1.0
    assert np.isnan(d["acousticness"])
    assert len(fit_taste((0.1, 0.2))) == len(TASTE_KEYS)  # rows stored by an older version
