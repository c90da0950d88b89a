"""Fuzzing the classifier -> mood boundary: any probabilities (NaN, inf, negative, missing or unknown
classes, all zero), faces coming and going, odd time steps, both smoothers.  The mood stays a known
class or unknown, and every number it reports stays finite and in range."""

from __future__ import annotations

import dataclasses
import math

from fuzzkit import fuzz
from hypothesis import given
from hypothesis import strategies as st

from moodspeaker.config.schema import MoodConfig
from moodspeaker.mood.circumplex import to_valence_arousal
from moodspeaker.mood.filter import MoodFilter

CLASSES = ("neutral", "happy", "surprise", "sad", "angry", "disgust", "fear", "contempt")
UNKNOWN_MOODS = {"unknown"}
odd_float = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, 1.0, -1.0, 1e-300, 1e300])
probs = st.dictionaries(st.sampled_from([*CLASSES, "yawn", ""]), odd_float, max_size=10)
frames = st.lists(st.tuples(st.none() | probs, st.floats(0.0, 30.0)), min_size=1, max_size=60)


@fuzz(300)
@given(seq=frames, rolling=st.booleans(), with_classes=st.booleans())
def test_mood_filter_never_breaks(
    seq: list[tuple[dict[str, float] | None, float]], rolling: bool, with_classes: bool
) -> None:
    cfg = dataclasses.replace(MoodConfig(), smoothing="rolling") if rolling else MoodConfig()
    filt = MoodFilter(cfg, CLASSES if with_classes else None)
    now = 1000.0
    for p, dt in seq:
        now += dt
        state = filt.update(p, now)
        known = set(filt.classes or ()) | UNKNOWN_MOODS
        assert state.mood in known, state
        for value in (state.confidence, state.valence, state.arousal):
            assert math.isfinite(value), state
        assert (
            0.0 <= state.confidence <= 1.0 and -1.0 <= state.valence <= 1.0 and -1.0 <= state.arousal <= 1.0
        )


@fuzz(300)
@given(p=probs)
def test_circumplex_never_breaks(p: dict[str, float]) -> None:
    v, a = to_valence_arousal(p)
    assert math.isfinite(v) and math.isfinite(a) and -1 <= v <= 1 and -1 <= a <= 1
