"""A capture that gives nothing to classify counts as a capture without a face.

A camera that cannot be opened at all, and a vision pipeline that fails on every frame, left the mood
at its last value for as long as they lasted: the stage skipped the mood filter.  Now the mood fades
to unknown after mood.no_face_timeout_s, as when the listener walks away.  The stage here is the real
InferenceStage with the real MoodFilter; the camera and the pipeline are stand-ins that first deliver
a happy face and then fail.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from servicekit import CLASSES, Frames

from moodspeaker.config.schema import MoodConfig
from moodspeaker.mood.filter import MoodFilter, MoodState
from moodspeaker.service.health import Health
from moodspeaker.service.inference import FrameSource, InferenceStage, Pipeline
from moodspeaker.service.watchdog import Heartbeat
from moodspeaker.vision.pipeline import Observation
from moodspeaker.vision.sources import CameraError
from polling import until

HAPPY = {c: 0.94 if c == "happy" else 0.01 for c in CLASSES}


class Faces:
    def __init__(self, failing: threading.Event) -> None:
        self.failing = failing

    def step(self, frame: np.ndarray, now: float) -> Any:
        if self.failing.is_set():
            raise RuntimeError("the classifier cannot run")
        return Observation(True, HAPPY)


def run_until_unknown(
    make_source: Callable[[], FrameSource],
    make_pipeline: Callable[[], Pipeline],
    fail: Callable[[InferenceStage], None],
) -> MoodState:
    moods: list[MoodState] = []
    mood_cfg = MoodConfig(half_life_s=0.1, min_dwell_s=0.2, no_face_timeout_s=1.0)
    stage = InferenceStage(
        make_source,
        make_pipeline,
        MoodFilter(mood_cfg, CLASSES),
        interval_s=0.05,
        on_result=lambda state, *_: moods.append(state),
        health=Health(),
        heartbeat=Heartbeat(),
    )
    stage.start()
    try:
        until(lambda: moods and moods[-1].mood == "happy", 30, "the mood read as happy")
        fail(stage)
        until(lambda: moods[-1].mood == "unknown", 30, "the mood fading to unknown")
    finally:
        stage.stop(timeout=30)
    return moods[-1]


def test_a_camera_that_cannot_be_opened_counts_as_no_face() -> None:
    gone = threading.Event()

    def camera() -> FrameSource:
        if gone.is_set():
            raise CameraError("no camera at /dev/video0")
        return Frames()

    def unplug_and_switch_off_and_on(stage: InferenceStage) -> None:
        gone.set()  # the camera is unplugged while switched off: it cannot be opened again
        stage.set_enabled(False)
        stage.set_enabled(True)

    mood = run_until_unknown(camera, lambda: Faces(threading.Event()), unplug_and_switch_off_and_on)
    assert not mood.face and mood.confidence == 0.0


def test_a_pipeline_that_fails_on_every_frame_counts_as_no_face() -> None:
    failing = threading.Event()
    mood = run_until_unknown(Frames, lambda: Faces(failing), lambda _: failing.set())
    assert not mood.face and mood.confidence == 0.0
