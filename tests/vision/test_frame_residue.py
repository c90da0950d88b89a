"""A frame is held for one classification and dropped: after a real VisionPipeline step the TFLite
interpreters' input tensors no longer hold the face crop (classifier) or the frame's thumbnail (BlazeFace).

An interpreter keeps its input tensor until the next set_tensor, so without a scrub the last 48x48 face
and a 128x128 colour thumbnail of the last frame stayed in memory until the next face, for ever while
the camera is off.  Real shipped models, real detector, real pipeline; nothing faked.
"""

from __future__ import annotations

import numpy as np
import pytest

from moodspeaker.config.schema import ClassifierConfig, Config, DetectorConfig
from moodspeaker.vision.expression import TFLiteExpressionClassifier, default_model_json, make_classifier
from moodspeaker.vision.faces import BlazeFaceDetector, make_detector
from moodspeaker.vision.pipeline import VisionPipeline


def _shipped_classifier(*, flip_average: bool = False) -> TFLiteExpressionClassifier:
    if not default_model_json().is_file():
        pytest.skip(f"no shipped expression model at {default_model_json()}")
    return make_classifier(ClassifierConfig(flip_average=flip_average))


def _classifier_input(clf: TFLiteExpressionClassifier) -> np.ndarray:
    return np.asarray(clf._interpreter.get_tensor(clf._in_index))


def _detector_input(det: BlazeFaceDetector) -> np.ndarray:
    return np.asarray(det._interpreter.get_tensor(det._input_index))


@pytest.mark.parametrize("flip_average", [False, True])
def test_interpreters_keep_no_pixels_after_a_step(astronaut: np.ndarray, flip_average: bool) -> None:
    clf = _shipped_classifier(flip_average=flip_average)
    det = make_detector(DetectorConfig())
    assert isinstance(det, BlazeFaceDetector)
    obs = VisionPipeline(det, clf, Config()).step(astronaut, 0.0)
    assert obs.face and obs.probs is not None  # the face went through both interpreters
    face_in, frame_in = _classifier_input(clf), _detector_input(det)
    assert face_in.shape == (1, 48, 48, 1) and not face_in.any(), "the face crop is still in the classifier"
    assert frame_in.shape == (1, 128, 128, 3) and not frame_in.any(), "the frame's thumbnail is still there"


def test_scrub_leaves_the_results_unchanged(astronaut: np.ndarray) -> None:
    """Zeroing happens after the outputs are read: a crop gives the same numbers every time, and the
    same as a fresh classifier's first run (whose input tensor was never scrubbed)."""
    crop = np.ascontiguousarray(astronaut[60:200, 160:300, 1])
    clf = _shipped_classifier()
    first, second = clf.classify(crop), clf.classify(crop)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, _shipped_classifier().classify(crop))
    assert not _classifier_input(clf).any()


def test_a_frame_without_a_face_leaves_no_thumbnail(astronaut: np.ndarray) -> None:
    """No face: the detector ran (whole frame and its tile search) and its input is still wiped."""
    det = make_detector(DetectorConfig())
    assert isinstance(det, BlazeFaceDetector)
    empty = np.full((480, 640, 3), 90, np.uint8)
    empty[100:200, 100:300] = astronaut[:100, :200]  # texture, no face
    assert det.detect(empty) == []
    assert not _detector_input(det).any()
