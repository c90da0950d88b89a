"""The active profile's resting-face calibration is applied before the mood filter, per listener."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import servicekit
from servicekit import Script, build, wait_for

from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
from moodspeaker.service.app import Appliance
from moodspeaker.util.atomic import atomic_write_text
from moodspeaker.vision.pipeline import Observation

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


class RestingFacePipeline(servicekit.ScriptPipeline):
    """A resting face this listener's model reads as a little sad (the bias the seeds report)."""

    def step(self, frame: np.ndarray, now: float) -> Observation:
        probs = {c: 0.02 for c in CLASSES}
        probs.update(sad=0.5, neutral=0.4)
        return Observation(True, probs)


def _build(tmp_path: Path) -> Appliance:
    tmp_path.mkdir(parents=True, exist_ok=True)
    app, _bus = build(tmp_path, Script("neutral"))
    app.parts = dataclasses.replace(
        app.parts, classes=CLASSES, make_pipeline=lambda: RestingFacePipeline(Script("neutral"))
    )
    app.stage._make_pipeline = app.parts.make_pipeline
    return app


def test_resting_face_reads_sad_without_and_neutral_with_the_listeners_calibration(tmp_path: Path) -> None:
    app = _build(tmp_path / "a")
    app.start()
    try:
        wait_for(lambda: app.state()["mood"] == "sad", what="the uncalibrated resting face read as sad")
    finally:
        app.stop()

    app = _build(tmp_path / "b")
    resting = [[0.02, 0.02, 0.02, 0.02, 0.5, 0.02, 0.4]] * 10
    cal = NeutralCalibration.fit(resting, CLASSES)
    atomic_write_text(calibration_file(app.config.device.data_dir, "default"), cal.to_json())
    app.start()
    try:
        wait_for(lambda: app.state()["mood"] == "neutral", what="the calibrated resting face read as neutral")
    finally:
        app.stop()


def test_a_broken_calibration_file_is_reported_and_ignored(tmp_path: Path) -> None:
    app = _build(tmp_path)
    path = calibration_file(app.config.device.data_dir, "default")
    atomic_write_text(path, "{not json")
    app.start()
    try:
        wait_for(lambda: app.state()["mood"] == "sad", what="the resting face read without calibration")
        incidents = str(app.state()["health"])
        assert "not JSON" in incidents and str(path) in incidents
    finally:
        app.stop()
