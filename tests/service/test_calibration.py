"""The active profile's resting-face calibration is applied before the mood filter, per listener."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
import servicekit
from servicekit import Script, build, wait_for

from moodspeaker.cli import main
from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.components import vision_factories
from moodspeaker.service.events import ErrorReported, Event, EventBus
from moodspeaker.util.atomic import atomic_write_text
from moodspeaker.vision.pipeline import Observation

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgetpu" / "expression.json"
CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


class RestingFacePipeline(servicekit.ScriptPipeline):
    """A resting face this listener's model reads as a little sad (the bias the seeds report)."""

    def step(self, frame: np.ndarray, now: float) -> Observation:
        probs = {c: 0.02 for c in CLASSES}
        probs.update(sad=0.5, neutral=0.4)
        return Observation(True, probs)


def _build(tmp_path: Path, events: list[Event] | None = None) -> Appliance:
    tmp_path.mkdir(parents=True, exist_ok=True)
    app, bus = build(tmp_path, Script("neutral"))
    if events is not None:
        bus.subscribe(events.append)
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
    """Reported once for each version of the file, not at each check of it (every housekeeping round
    looks at the file since a calibration saved while the service runs is followed)."""
    events: list[Event] = []
    app = _build(tmp_path, events)
    path = calibration_file(app.config.device.data_dir, "default")
    atomic_write_text(path, "{not json")

    def reported() -> int:
        return sum(isinstance(e, ErrorReported) and e.component == "calibration" for e in events)

    app.start()
    try:
        wait_for(lambda: app.state()["mood"] == "sad", what="the resting face read without calibration")
        incidents = str(app.state()["health"])
        assert "not JSON" in incidents and str(path) in incidents
        for _ in range(3):
            app._follow_calibration()
        assert reported() == 1
        atomic_write_text(path, "{still not json")  # a new version: said again
        app._follow_calibration()
        assert reported() == 2
        wait_for(lambda: app.state()["mood"] == "sad", what="the resting face still read without calibration")
    finally:
        app.stop()


def _real_vision_appliance(tmp_path: Path, frames: Path) -> Appliance:
    """A real appliance whose camera replays `frames` (a real ReplaySource, looping) through the real
    detector and shipped expression model (service.components.vision_factories, as the service)."""
    camera = {"camera.type": "replay", "camera.replay_path": str(frames), "camera.replay_loop": True}
    # the plain rolling mean of the readings: the reported valence is that of the corrected readings;
    # the first classification (the model loading) takes longer than the kit's 0.5 s
    mood = {"mood.smoothing": "rolling", "mood.rolling_window_s": 0.5, "classifier.stuck_timeout_s": 30.0}
    cfg = servicekit.config(tmp_path / "data", **camera, **mood)
    make_source, make_pipeline, classes, _states = vision_factories(cfg)
    recommender = Recommender.from_config(cfg, Catalogue(servicekit.make_tracks(tmp_path)))
    parts = Parts(
        make_source=make_source, make_pipeline=make_pipeline, recommender=recommender, classes=classes
    )
    return Appliance(cfg, EventBus(), parts, tmp_path / "data")


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped expression model")
def test_a_calibration_saved_while_the_service_runs_corrects_its_readings(tmp_path: Path) -> None:
    """The calibration was loaded only at start and on a switch of listener, so one saved by
    `calibrate-neutral` while the service ran did nothing until a restart (the README says the service
    then corrects that profile's readings).  The real command saves it while the real appliance reads
    the same face: the readings follow; a calibration deleted by hand is followed too.

    The face (scikit-image's cameraman) reads neutral with some sad (valence about -0.24); his
    calibration lowers that sad (valence about -0.15)."""
    data = pytest.importorskip("skimage.data")
    face = np.ascontiguousarray(cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR))
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"{i:02d}.png"), np.roll(face, 4 * i, axis=1))
    app = _real_vision_appliance(tmp_path, frames)
    saved = calibration_file(app.config.device.data_dir, "default")
    app.start()
    try:
        wait_for(lambda: app.state()["valence"] < -0.2, what="the uncalibrated face read with some sad")
        args = ["--set", f"device.data_dir={app.config.device.data_dir}", "calibrate-neutral"]
        assert main([*args, "--source", str(frames), "--frames", "3"]) == 0
        assert saved.is_file()
        wait_for(lambda: app.state()["valence"] > -0.18, what="the readings corrected by the new calibration")
        saved.unlink()
        wait_for(lambda: app.state()["valence"] < -0.2, what="the readings without the deleted calibration")
    finally:
        app.stop()
