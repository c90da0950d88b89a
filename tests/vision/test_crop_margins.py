"""Each detector's faces are cropped with the margin the model's metadata gives for that detector.

The FER2013 framing is BlazeFace's box plus 8 % a side but Haar's box itself (margin 0; measured in
models/training/export.py); the pipeline gave Haar BlazeFace's margin, which costs the shipped model
about a point on the faces Haar finds.  Metadata without per-detector margins uses `crop.margin` for all.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import pytest

from moodspeaker.config.schema import Config, DetectorConfig
from moodspeaker.vision.expression import TFLiteExpressionClassifier, default_model_json, load_model_info
from moodspeaker.vision.faces import Face, HaarFaceDetector, crop_face, make_detector
from moodspeaker.vision.pipeline import VisionPipeline
from moodspeaker.vision.runtime import ModelError


class KeepingClassifier:
    """The real shipped classifier, keeping the crops it is given (the test's own memory only)."""

    def __init__(self, inner: TFLiteExpressionClassifier) -> None:
        self.inner, self.info, self.classes = inner, inner.info, inner.classes
        self.crops: list[np.ndarray] = []

    def classify(self, face: np.ndarray) -> np.ndarray:
        self.crops.append(face.copy())
        return self.inner.classify(face)


def _shipped() -> Path:
    path = default_model_json()
    if not path.is_file():
        pytest.skip(f"no shipped expression model at {path}")
    return path


def _write(tmp_path: Path, crop: object) -> Path:
    meta = json.loads(_shipped().read_text())
    meta["crop"] = crop
    meta["cpu_model"] = str(_shipped().parent / meta["cpu_model"])
    path = tmp_path / "expression.json"
    path.write_text(json.dumps(meta))
    return path


def test_shipped_metadata_gives_haar_its_own_margin() -> None:
    info = load_model_info(_shipped())
    assert info.margin_for("blazeface") == info.crop_margin == 0.08
    assert info.margin_for("haar") == 0.0
    assert info.margin_for(None) == info.margin_for("some-future-detector") == 0.08


@pytest.mark.parametrize(("kind", "margin"), [("haar", 0.0), ("blazeface", 0.08)])
def test_pipeline_crops_with_the_detectors_margin(
    astronaut: np.ndarray, kind: Literal["blazeface", "haar"], margin: float
) -> None:
    detector = make_detector(DetectorConfig(type=kind))
    clf = KeepingClassifier(TFLiteExpressionClassifier(load_model_info(_shipped())))
    pipe = VisionPipeline(detector, clf, Config())
    assert pipe.margin == margin
    obs = pipe.step(astronaut, 0.0)
    assert obs.face and obs.box is not None and len(clf.crops) == 1
    face = Face(*obs.box, obs.score)
    np.testing.assert_array_equal(clf.crops[0], crop_face(astronaut, face, margin, 48))
    other = 0.08 if margin == 0.0 else 0.0
    assert not np.array_equal(clf.crops[0], crop_face(astronaut, face, other, 48))


def test_haar_taking_over_from_a_broken_blazeface_crops_as_haar(tmp_path: Path) -> None:
    broken = tmp_path / "face_detection_short_range.tflite"
    broken.write_bytes(b"not a model")
    detector = make_detector(DetectorConfig(), model_path=broken)
    assert isinstance(detector, HaarFaceDetector) and detector.fallback_reason
    pipe = VisionPipeline(detector, TFLiteExpressionClassifier(load_model_info(_shipped())), Config())
    assert pipe.margin == 0.0


def test_older_metadata_uses_its_one_margin_for_every_detector(tmp_path: Path) -> None:
    info = load_model_info(_write(tmp_path, {"margin": 0.12, "square": True}))
    assert info.crop_margins == {}
    assert info.margin_for("haar") == info.margin_for("blazeface") == 0.12
    clf = TFLiteExpressionClassifier(info)
    assert VisionPipeline(HaarFaceDetector(), clf, Config()).margin == 0.12


@pytest.mark.parametrize(
    ("crop", "key"),
    [
        ({"margin": "0.08"}, "crop.margin"),
        ({"margin": 0.08, "margin_by_detector": [0.0]}, "crop.margin_by_detector"),
        ({"margin": 0.08, "margin_by_detector": {"haar": None}}, "crop.margin_by_detector.haar"),
        ({"margin": 0.08, "margin_by_detector": {"haar": -0.6}}, "crop.margin_by_detector.haar"),
        ({"margin": float("nan")}, "crop.margin"),
    ],
)
def test_bad_margins_are_named(tmp_path: Path, crop: dict[str, object], key: str) -> None:
    path = _write(tmp_path, crop)
    with pytest.raises(ModelError, match=rf"{path}: `{key}` must be a number|{path}: `{key}` must be an"):
        load_model_info(path)
