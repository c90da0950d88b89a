"""Metrics and scoring on inputs whose answers are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

from moodspeaker.evaluation.ferplus import FER2013_CLASSES, MODEL_CLASSES
from moodspeaker.evaluation.metrics import confusion_matrix, macro_f1, per_class_recall, predict_labels
from moodspeaker.evaluation.scoring import score_ferplus, score_folders


def test_confusion_recall_and_macro_f1() -> None:
    y_true = np.array([0, 0, 1, 1, 2, -1])
    y_pred = np.array([0, 1, 1, 1, 0, 2])
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert per_class_recall(cm, ("a", "b", "c")) == {"a": 0.5, "b": 1.0, "c": 0.0}
    # F1: a = 2*1/(2+2) = 0.5, b = 2*2/(2+3) = 0.8, c = 0
    assert macro_f1(cm) == pytest.approx((0.5 + 0.8 + 0.0) / 3)


def test_absent_classes_are_left_out_of_averages() -> None:
    cm = confusion_matrix(np.array([0, 0, 1]), np.array([0, 2, 1]), 3)
    assert set(per_class_recall(cm, ("a", "b", "c"))) == {"a", "b"}
    assert macro_f1(cm) == pytest.approx((2 / 3 + 1.0) / 2)


def test_contempt_is_folded_after_argmax() -> None:
    # near-uniform output: neutral wins; summing contempt+disgust first would wrongly pick disgust
    probs = np.array([[0.16, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12, 0.12]])
    assert predict_labels(probs, MODEL_CLASSES, FER2013_CLASSES, {"contempt": "disgust"})[0] == 6
    probs = np.array([[0.1, 0, 0, 0, 0, 0, 0, 0.9]])
    assert predict_labels(probs, MODEL_CLASSES, FER2013_CLASSES, {"contempt": "disgust"})[0] == 1


def test_score_ferplus_neutral_as_sad_and_fer2013() -> None:
    eye = np.eye(8)
    # four neutral faces: two read neutral, one sad, one happy; one sad face read sad
    probs = eye[[0, 0, 3, 1, 3]]
    majority = np.array([0, 0, 0, 0, 3])
    original = np.array([6, 6, 6, -1, 4])  # FER2013 order: neutral=6, sad=4
    report = score_ferplus(probs, MODEL_CLASSES, majority, original)
    assert report["count"] == 5
    assert report["accuracy"] == pytest.approx(3 / 5)
    assert report["neutral_as_sad"] == pytest.approx(1 / 4)
    assert report["accuracy_fer2013"] == pytest.approx(3 / 4)
    assert report["per_class_recall"] == {"neutral": 0.5, "sad": 1.0}


def test_score_ferplus_accepts_any_class_order() -> None:
    seven = FER2013_CLASSES  # a baseline model without contempt, in FER2013 order
    probs = np.eye(7)[[6, 3]]  # neutral, happy
    report = score_ferplus(probs, seven, np.array([0, 1]))
    assert report["accuracy"] == 1.0


def test_score_folders() -> None:
    probs = np.eye(8)[[0, 3, 7]]  # neutral, sad, contempt
    report = score_folders(probs, MODEL_CLASSES, ["neutral", "neutral", "disgust"])
    assert report["count"] == 3
    assert report["neutral_as_sad"] == pytest.approx(0.5)
    assert report["per_class_recall"] == {"disgust": 1.0, "neutral": 0.5}
