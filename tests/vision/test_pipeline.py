"""detect -> crop -> classify on real images, with the placeholder model and (when present) the real one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodspeaker.config.schema import Config, DetectorConfig
from moodspeaker.vision.expression import TFLiteExpressionClassifier, default_model_json, load_model_info
from moodspeaker.vision.faces import make_detector
from moodspeaker.vision.pipeline import VisionPipeline


class RecordingClassifier:
    """Wraps the real classifier to see which crops reach it (shape and dtype only)."""

    def __init__(self, inner: TFLiteExpressionClassifier) -> None:
        self.inner = inner
        self.classes = inner.classes
        self.info = inner.info
        self.shapes: list[tuple[tuple[int, ...], str]] = []

    def classify(self, face: np.ndarray) -> np.ndarray:
        self.shapes.append((face.shape, str(face.dtype)))
        return self.inner.classify(face)


@pytest.mark.train
def test_face_gives_probabilities_box_and_timings(placeholder_model: Path, astronaut: np.ndarray) -> None:
    clf = RecordingClassifier(TFLiteExpressionClassifier(load_model_info(placeholder_model)))
    pipe = VisionPipeline(make_detector(DetectorConfig()), clf, Config())
    obs = pipe.step(astronaut, 0.0)
    assert obs.face and obs.faces == 1 and obs.box is not None and obs.score > 0.8
    assert obs.probs is not None and set(obs.probs) == set(clf.classes)
    assert abs(sum(obs.probs.values()) - 1.0) < 1e-4
    assert set(obs.timings) == {"detect", "crop", "classify"} and all(t >= 0 for t in obs.timings.values())
    assert clf.shapes == [((48, 48), "uint8")]  # the crop is made at the model's size, in gray
    assert pipe.margin == 0.1  # from the model's metadata, the way it was trained


@pytest.mark.train
def test_no_face_is_explicit(placeholder_model: Path) -> None:
    clf = RecordingClassifier(TFLiteExpressionClassifier(load_model_info(placeholder_model)))
    pipe = VisionPipeline(make_detector(DetectorConfig()), clf)
    obs = pipe.step(np.full((480, 640, 3), 90, np.uint8), 1.0)
    assert not obs.face and obs.probs is None and obs.box is None and clf.shapes == []
    assert set(obs.timings) == {"detect"}


def test_shipped_model_on_the_astronaut(astronaut: np.ndarray) -> None:
    path = default_model_json()
    if not path.is_file():
        pytest.skip(f"no shipped model yet at {path}")
    clf = TFLiteExpressionClassifier(load_model_info(path))
    obs = VisionPipeline(make_detector(DetectorConfig()), clf).step(astronaut, 0.0)
    assert obs.face and obs.probs is not None
    # Eileen Collins smiles in this portrait; a working model ranks happy first or second
    ranked = sorted(obs.probs, key=obs.probs.__getitem__, reverse=True)
    assert "happy" in ranked[:2], obs.probs
