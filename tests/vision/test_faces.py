"""Face detection on real images (public-domain astronaut from scikit-image; synthesised scenes)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import pytest

from moodspeaker.config.schema import DetectorConfig
from moodspeaker.vision.faces import (
    BlazeFaceDetector,
    Face,
    HaarFaceDetector,
    crop_face,
    largest_face,
    make_detector,
)
from moodspeaker.vision.runtime import ModelError

#: Where Eileen Collins's face is in skimage.data.astronaut() (x, y, w, h), by inspection.
ASTRONAUT_FACE = (178, 81, 94, 94)


def overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.fixture(scope="module")
def blaze() -> BlazeFaceDetector:
    return BlazeFaceDetector()


def scene_with_face(
    astronaut: np.ndarray, face_px: int, size: tuple[int, int] = (1200, 1600)
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A large plain scene with the astronaut's head pasted small; returns (frame, expected box)."""
    x, y, w, h = ASTRONAUT_FACE
    head = astronaut[y - 40 : y + h + 40, x - 40 : x + w + 40]
    scale = face_px / w
    head = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.zeros((*size, 3), np.uint8)
    frame[:] = (60, 110, 80)
    oy, ox = 700, 1100
    frame[oy : oy + head.shape[0], ox : ox + head.shape[1]] = head
    m = round(40 * scale)
    return frame, (ox + m, oy + m, face_px, face_px)


def test_blazeface_finds_the_astronaut(blaze: BlazeFaceDetector, astronaut: np.ndarray) -> None:
    faces = blaze.detect(astronaut)
    assert len(faces) == 1
    assert overlap(faces[0].box, ASTRONAUT_FACE) > 0.6 and faces[0].score > 0.8


def test_haar_finds_the_astronaut(astronaut: np.ndarray) -> None:
    faces = HaarFaceDetector().detect(astronaut)
    assert faces and overlap(faces[0].box, ASTRONAUT_FACE) > 0.5


@pytest.mark.parametrize("kind", ["blazeface", "haar"])
def test_no_face_is_an_empty_list(kind: Literal["blazeface", "haar"]) -> None:
    detector = make_detector(DetectorConfig(type=kind))
    assert detector.detect(np.full((480, 640, 3), 128, np.uint8)) == []
    noise = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    assert detector.detect(noise) == []


def test_face_filling_the_frame(blaze: BlazeFaceDetector, astronaut: np.ndarray) -> None:
    x, y, w, h = ASTRONAUT_FACE
    close_up = cv2.resize(astronaut[y - 25 : y + h + 25, x - 25 : x + w + 25], (800, 800))
    faces = blaze.detect(np.asarray(close_up, np.uint8))
    assert faces and faces[0].w > 400


def test_small_face_in_a_large_scene_found_by_tiles(astronaut: np.ndarray) -> None:
    frame, expected = scene_with_face(astronaut, 60)
    assert BlazeFaceDetector(small_faces=False).detect(frame) == []
    faces = BlazeFaceDetector(small_faces=True).detect(frame)
    assert len(faces) == 1 and overlap(faces[0].box, expected) > 0.4


def test_largest_face_wins(blaze: BlazeFaceDetector, astronaut: np.ndarray) -> None:
    x, y, w, h = ASTRONAUT_FACE
    head = astronaut[y - 40 : y + h + 40, x - 40 : x + w + 40]
    frame = np.zeros((520, 800, 3), np.uint8)
    small = cv2.resize(head, None, fx=1.4, fy=1.4)
    big = cv2.resize(head, None, fx=2.2, fy=2.2)
    frame[20 : 20 + small.shape[0], 20 : 20 + small.shape[1]] = small
    frame[100 : 100 + big.shape[0], 400 : 400 + big.shape[1]] = big
    faces = blaze.detect(frame)
    assert len(faces) == 2 and faces[0].x > 400 and faces[1].x < 300
    assert largest_face(faces[::-1]) == faces[0]
    assert largest_face([]) is None


def test_grayscale_and_bad_frames(blaze: BlazeFaceDetector) -> None:
    with pytest.raises(ValueError, match=r"expected a BGR frame"):
        blaze.detect(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match=r"expected a BGR frame"):
        blaze.detect(np.zeros((0, 0, 3), np.uint8))


@pytest.mark.train
def test_wrong_detector_model_is_named(tmp_path: Path, placeholder_model: Path) -> None:
    with pytest.raises(ModelError, match=r"placeholder_expression\.tflite: input shape"):
        BlazeFaceDetector(placeholder_model.parent / "placeholder_expression.tflite")
    with pytest.raises(ModelError, match=r"model file not found: .*missing\.tflite"):
        BlazeFaceDetector(tmp_path / "missing.tflite")


def test_crop_is_square_gray_with_margin() -> None:
    frame = np.zeros((200, 300, 3), np.uint8)
    frame[50:150, 100:180] = 255  # an 80 x 100 "face"
    face = Face(100, 50, 80, 100, 0.9)
    crop = crop_face(frame, face, margin=0.1)
    assert crop.shape == (120, 120) and crop.dtype == np.uint8  # 100 * (1 + 2 * 0.1)
    assert crop[60, 60] == 255 and crop[60, 5] == 0  # centred, border outside the box
    assert crop_face(frame, face, margin=0.1, size=48).shape == (48, 48)


def test_crop_at_the_border_repeats_edge_pixels() -> None:
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[:, :10] = 200
    crop = crop_face(frame, Face(0, 30, 40, 40, 1.0), margin=0.25, size=None)
    assert crop.shape == (60, 60)
    assert crop[30, 0] == 200  # padded on the left with the edge column, not black


def test_distant_face_is_followed_without_a_new_tile_search(
    astronaut: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    detector = BlazeFaceDetector()
    frame, expected = scene_with_face(astronaut, 60)
    runs: list[tuple[int, int]] = []
    original = detector._run

    def counting(bgr: np.ndarray) -> list[tuple[np.ndarray, float]]:
        runs.append(bgr.shape[:2])
        return original(bgr)

    monkeypatch.setattr(detector, "_run", counting)
    first = detector.detect(frame)
    assert len(first) == 1 and len(runs) > 3  # found by the tile search
    runs.clear()
    second = detector.detect(frame)
    assert len(second) == 1 and overlap(second[0].box, expected) > 0.4
    assert len(runs) == 2  # whole frame + the region around the last face
    runs.clear()
    assert detector.detect(np.full_like(frame, 90)) == []
    runs.clear()
    detector.detect(np.full_like(frame, 90))
    assert (1200, 1600) in runs and len(runs) > 2  # the region was forgotten: a fresh search


def test_missing_blazeface_model_falls_back_to_haar_with_reason(
    tmp_path: Path, astronaut: np.ndarray
) -> None:
    detector = make_detector(DetectorConfig(type="blazeface"), model_path=tmp_path / "gone.tflite")
    assert isinstance(detector, HaarFaceDetector)
    assert detector.fallback_reason is not None and "gone.tflite" in detector.fallback_reason
    assert detector.detect(astronaut)  # and it still finds the face
