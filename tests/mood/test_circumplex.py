"""Classes -> valence/arousal on Russell's circumplex."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from moodspeaker.mood.circumplex import COORDINATES, coordinates, to_valence_arousal
from moodspeaker.mood.classes import ALL_EXPRESSIONS


def test_every_class_has_a_point_in_its_quadrant() -> None:
    assert set(COORDINATES) == set(ALL_EXPRESSIONS)
    assert coordinates("happy")[0] > 0 and coordinates("happy")[1] > 0
    assert coordinates("sad")[0] < 0 and coordinates("sad")[1] < 0
    assert coordinates("angry")[0] < 0 and coordinates("angry")[1] > 0
    assert coordinates("neutral") == (0.0, 0.0)
    assert coordinates("unknown") == (0.0, 0.0)


def test_one_hot_gives_the_class_point() -> None:
    for name, point in COORDINATES.items():
        assert to_valence_arousal({name: 1.0}) == point


def test_mixture_is_the_weighted_mean_and_unnormalised_input_is_fine() -> None:
    v, a = to_valence_arousal({"happy": 0.5, "sad": 0.5})
    assert math.isclose(v, 0.05, abs_tol=1e-9) and math.isclose(a, 0.05, abs_tol=1e-9)
    assert to_valence_arousal({"happy": 2.0, "sad": 2.0}) == (v, a)


def test_degenerate_inputs_give_the_centre() -> None:
    assert to_valence_arousal({}) == (0.0, 0.0)
    assert to_valence_arousal({"happy": 0.0}) == (0.0, 0.0)
    assert to_valence_arousal({"happy": float("nan"), "sad": -1.0}) == (0.0, 0.0)


@given(st.dictionaries(st.sampled_from([*ALL_EXPRESSIONS, "other"]), st.floats(allow_nan=True)))
def test_always_in_range(probs: dict[str, float]) -> None:
    v, a = to_valence_arousal(probs)
    assert -1.0 <= v <= 1.0 and -1.0 <= a <= 1.0
