""" "Delete everything" deletes the listeners' neutral-face calibrations too.

Why: `moodspeaker calibrate-neutral --profile NAME` saves calibration/neutral-NAME.json in the data
folder, a correction fitted to that listener's resting face: personal data derived from their face.
The deletion removed the profiles and feedback but left these files, and the running service kept
correcting readings with the active listener's.  The calibrations here are made by the real command
(real detector and shipped model, on a public-domain photo), then read by the real appliance, whose
scripted camera shows a resting face the model reads as a little sad.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
import servicekit
from servicekit import Script, build, wait_for

from moodspeaker.cli import main
from moodspeaker.mood.calibration import NeutralCalibration, calibration_file
from moodspeaker.service.app import Appliance
from moodspeaker.service.control import ControlAPI
from moodspeaker.vision.expression import default_model_json, load_model_info
from moodspeaker.vision.pipeline import Observation

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgetpu" / "expression.json"
pytestmark = [
    pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped expression model"),
    pytest.mark.timeout(180),
]


class RestingFacePipeline(servicekit.ScriptPipeline):
    """A resting face the model reads as a little sad, over the shipped model's classes."""

    classes: tuple[str, ...] = ()

    def step(self, frame: np.ndarray, now: float) -> Observation:
        probs = dict.fromkeys(self.classes, 0.01)
        probs.update(sad=0.5, neutral=0.4)
        return Observation(True, probs)


def _calibrate(data: Path, profile: str, frames: Path) -> Path:
    """`moodspeaker calibrate-neutral --profile PROFILE`, the listener's photo as the camera."""
    args = ["--set", f"device.data_dir={data}", "--set", "detector.type=haar", "calibrate-neutral"]
    # --force: the photo smiles, which calibrate-neutral refuses as a resting face (what is tested
    # here is the file's deletion, not the face)
    assert main([*args, "--profile", profile, "--source", str(frames), "--frames", "3", "--force"]) == 0
    return calibration_file(data, profile)


@pytest.fixture
def calibrated(tmp_path: Path) -> Iterator[tuple[Appliance, ControlAPI, list[Path]]]:
    photo = pytest.importorskip("skimage.data").astronaut()[:, :, ::-1]  # NASA, public domain
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        cv2.imwrite(str(frames / f"{i:02d}.png"), np.roll(np.ascontiguousarray(photo), 4 * i, axis=1))
    data = tmp_path / "data"
    files = [_calibrate(data, "default", frames), _calibrate(data, "ann", frames)]  # ann: not configured
    classes = load_model_info(default_model_json()).classes
    cal = NeutralCalibration.from_json(files[0].read_text())
    assert cal.classes == classes
    assert cal.bias[classes.index("neutral")] > 0.5, cal  # it does correct this resting face

    RestingFacePipeline.classes = classes
    app, bus = build(tmp_path, Script("neutral"))
    app.parts = dataclasses.replace(
        app.parts, classes=classes, make_pipeline=lambda: RestingFacePipeline(Script("neutral"))
    )
    app.stage._make_pipeline = app.parts.make_pipeline
    app.start()
    try:
        yield app, ControlAPI(app, bus), files
    finally:
        app.stop()


def test_delete_everything_deletes_the_calibrations_and_stops_correcting(
    calibrated: tuple[Appliance, ControlAPI, list[Path]], caplog: pytest.LogCaptureFixture
) -> None:
    app, control, files = calibrated
    wait_for(lambda: app.state()["mood"] == "neutral", what="the resting face read as neutral (calibrated)")
    assert all(f.exists() for f in files)
    with caplog.at_level(logging.INFO, logger="moodspeaker.service"):
        assert control.delete_data()
    assert not [f for f in files if f.exists()]
    assert not list(files[0].parent.iterdir())  # nothing of them is left behind
    said = caplog.text
    assert "2 neutral-face calibrations" in said, said
    assert "neutral-ann" not in said, said  # not the files: their names hold the listeners
    wait_for(lambda: app.state()["mood"] == "sad", what="the resting face read as it is (not corrected)")


def test_deleting_old_feedback_keeps_the_calibrations(
    calibrated: tuple[Appliance, ControlAPI, list[Path]],
) -> None:
    """Retention ("before") deletes old feedback; a calibration is the listener's setting, kept until
    they delete everything (or calibrate again)."""
    app, control, files = calibrated
    assert control.delete_data(before=1e12)
    assert all(f.exists() for f in files)
    wait_for(lambda: app.state()["mood"] == "neutral", what="the resting face still read as neutral")
