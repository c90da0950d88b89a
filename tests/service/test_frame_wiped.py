"""A frame and its face crop are zeroed when they end, not only dropped.

Why: freed memory keeps its bytes until something reuses it, so every frame the speaker classified and
every face crop stayed in the heap, where a core dump or a page written to swap (a file on the SD card
on Raspberry Pi OS) finds it.  The real Appliance with the real vision pipeline (BlazeFace, the shipped
TFLite expression model) reads a public-domain face (Eileen Collins, NASA) from a camera that keeps a
reference to every frame it handed out; the real classifier, wrapped only to keep a reference to each
crop it was given.  Also `watch`'s and `calibrate-neutral`'s capture, and what `wipe` leaves alone:
memory numpy did not allocate (a camera's buffer) and read-only arrays.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from servicekit import config, make_tracks, started, wait_for

from moodspeaker.commands.calibrate import capture
from moodspeaker.config import Config
from moodspeaker.config.schema import ClassifierConfig, DetectorConfig
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.events import EventBus, MoodObserved
from moodspeaker.vision.expression import default_model_json, make_classifier
from moodspeaker.vision.faces import make_detector
from moodspeaker.vision.pipeline import VisionPipeline
from moodspeaker.vision.wipe import wipe

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    data = pytest.importorskip("skimage.data")
    if not default_model_json().is_file():
        pytest.skip(f"no shipped expression model at {default_model_json()}")
    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])  # BGR, as a camera gives it


class KeepingCamera:
    """A camera that keeps every frame it handed out (a copy of `face` each time)."""

    def __init__(self, face: np.ndarray, limit: int | None = None) -> None:
        self.face, self.limit = face, limit
        self.handed: list[np.ndarray] = []
        self.lock = threading.Lock()

    def read(self) -> np.ndarray | None:
        with self.lock:
            if self.limit is not None and len(self.handed) >= self.limit:
                return None
            frame = self.face.copy()
            self.handed.append(frame)
            return frame

    def close(self) -> None:
        pass


class KeepingClassifier:
    """The real classifier, keeping a reference to every crop it classified."""

    def __init__(self) -> None:
        self.real = make_classifier(ClassifierConfig())
        self.crops: list[np.ndarray] = []

    def classify(self, crop: np.ndarray) -> Any:
        self.crops.append(crop)
        return self.real.classify(crop)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _pipeline(classifier: KeepingClassifier) -> VisionPipeline:
    real: Any = classifier  # the real classifier, wrapped
    return VisionPipeline(make_detector(DetectorConfig()), real, Config())


def _zeroed(arrays: list[np.ndarray]) -> list[int]:
    """The indexes of the arrays that still hold a pixel."""
    return [i for i, a in enumerate(arrays) if a.any()]


def test_the_service_zeroes_each_frame_and_face_crop_it_classified(tmp_path: Any, face: np.ndarray) -> None:
    camera, classifier = KeepingCamera(face), KeepingClassifier()
    cfg = config(tmp_path / "data")
    bus = EventBus()
    parts = Parts(
        make_source=lambda: camera,
        make_pipeline=lambda: _pipeline(classifier),
        recommender=Recommender.from_config(cfg, Catalogue(make_tracks(tmp_path))),
    )
    app = Appliance(cfg, bus, parts, tmp_path / "data")
    with started(app, bus) as (_app, _control, events):
        wait_for(
            lambda: sum(isinstance(e, MoodObserved) and e.face for e in list(events)) >= 3,
            what="three frames read with a face",
        )
    # stopped: no frame is in a step any more
    assert len(camera.handed) >= 3 and classifier.crops
    assert not _zeroed(camera.handed), "a frame kept its pixels after its classification"
    assert not _zeroed(classifier.crops), "a face crop kept its pixels after its classification"


def test_calibrate_neutral_zeroes_the_frames_it_read(face: np.ndarray) -> None:
    camera, classifier = KeepingCamera(face, limit=3), KeepingClassifier()
    got = capture(
        camera,
        _pipeline(classifier),
        classifier.classes,
        frames=3,
        seconds=60.0,
        spacing_s=0.0,
        clock=lambda: 0.0,
        sleep=lambda _s: None,
    )
    assert len(got.probs) == 3  # the face was seen in each
    assert len(camera.handed) == 3 and not _zeroed(camera.handed)
    assert len(classifier.crops) == 3 and not _zeroed(classifier.crops)


def test_wipe_writes_only_memory_numpy_allocated(face: np.ndarray) -> None:
    # a view of an array numpy allocated (picamera2's frame: its copy of the buffer, cut to the width)
    padded = np.ones((4, 8, 3), np.uint8)
    assert wipe(padded[:, :6]) and not padded.any()
    # a view of memory someone else owns (a camera's mapped buffer) is never written
    buffer = bytearray(b"\x07" * 48)
    frame = np.frombuffer(buffer, np.uint8).reshape(4, 4, 3)
    assert not wipe(frame) and buffer == bytearray(b"\x07" * 48)
    read_only = face.copy()
    read_only.flags.writeable = False
    assert not wipe(read_only) and read_only.any()
    assert not wipe(None)
