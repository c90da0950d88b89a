"""Neutral calibration on a constructed listener whose resting face reads as sad."""

from __future__ import annotations

import numpy as np
import pytest

from moodspeaker.evaluation.ferplus import MODEL_CLASSES
from moodspeaker.mood.calibration import NeutralCalibration

NEUTRAL, HAPPY, SAD = 0, 1, 3


def _listener(rng: np.random.Generator, n: int, base: list[float]) -> np.ndarray:
    logits = np.log(np.asarray(base)) + rng.normal(0, 0.3, (n, len(base)))
    e = np.exp(logits)
    probs: np.ndarray = e / e.sum(axis=1, keepdims=True)
    return probs


def test_calibration_reduces_neutral_as_sad() -> None:
    rng = np.random.default_rng(0)
    resting = [0.35, 0.03, 0.03, 0.45, 0.06, 0.03, 0.03, 0.02]  # this listener's rest looks sad
    calib_frames = _listener(rng, 5, resting)
    held_out = _listener(rng, 200, resting)
    cal = NeutralCalibration.fit(calib_frames, MODEL_CLASSES)
    before = np.mean(held_out.argmax(1) == SAD)
    after = np.mean(cal.apply(held_out).argmax(1) == SAD)
    assert before > 0.5
    assert after < 0.1
    # a genuinely sad face and a smile still read as themselves
    sad_face = np.array([0.05, 0.01, 0.01, 0.85, 0.04, 0.02, 0.01, 0.01])
    smile = np.array([0.2, 0.7, 0.02, 0.04, 0.01, 0.01, 0.01, 0.01])
    assert cal.apply(sad_face).argmax() == SAD
    assert cal.apply(smile).argmax() == HAPPY


def test_bias_is_one_sided_and_clipped() -> None:
    resting = np.array([[0.01, 0.001, 0.001, 0.98, 0.002, 0.002, 0.002, 0.002]] * 20)
    cal = NeutralCalibration.fit(resting, MODEL_CLASSES, max_bias=2.0)
    bias = np.asarray(cal.bias)
    assert bias[NEUTRAL] > 0
    assert np.all(np.delete(bias, NEUTRAL) <= 0)
    assert np.all(np.abs(bias) <= 2.0)


def test_few_frames_give_a_smaller_correction() -> None:
    resting = np.tile([0.3, 0.05, 0.05, 0.4, 0.05, 0.05, 0.05, 0.05], (10, 1))
    one = NeutralCalibration.fit(resting[:1], MODEL_CLASSES)
    ten = NeutralCalibration.fit(resting, MODEL_CLASSES)
    assert abs(one.bias[SAD]) < abs(ten.bias[SAD])


def test_json_round_trip_and_errors() -> None:
    cal = NeutralCalibration.fit(np.full((3, 8), 1 / 8), MODEL_CLASSES)
    again = NeutralCalibration.from_json(cal.to_json())
    assert again == cal
    with pytest.raises(ValueError, match=r"calib\.json: not JSON"):
        NeutralCalibration.from_json("{", "calib.json")
    with pytest.raises(ValueError, match="same length"):
        NeutralCalibration.from_json('{"classes": ["neutral"], "bias": []}')
    with pytest.raises(ValueError, match=r"expected \(N, 8\)"):
        NeutralCalibration.fit(np.ones((2, 3)), MODEL_CLASSES)


def test_apply_mapping_keeps_other_keys() -> None:
    cal = NeutralCalibration.identity(("neutral", "sad"))
    out = cal.apply_mapping({"neutral": 0.4, "sad": 0.6, "other": 0.0})
    assert out["other"] == 0.0
    assert out["sad"] == pytest.approx(0.6, abs=1e-3)
