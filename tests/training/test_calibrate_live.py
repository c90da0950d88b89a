"""`moodspeaker calibrate-neutral` with a live camera: a countdown, spaced frames, and a camera that
drops a frame or is held by the running service.  Only the camera is faked, at its driver boundary (a
LiveCamera's `_open`/`_grab`, with the real retry logic); the detector and the shipped expression
model are real, and so are the clock's uses: the test's clock moves only when the command sleeps."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from moodspeaker.commands import calibrate
from moodspeaker.config import Config
from moodspeaker.mood.calibration import NeutralCalibration
from moodspeaker.vision import sources

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgetpu" / "expression.json"
pytestmark = pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped expression model yet")


class FakeTime:
    """A clock that moves only when slept on, so the test waits for nothing."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds
        self.slept += seconds


class Camera(sources.LiveCamera):
    """The Pi camera at its driver: `_open` and `_grab` do what `script` says, one step per call
    ("frame", or an exception to raise), then frames; the clock time of each frame is kept."""

    name = "Raspberry Pi camera"

    def __init__(
        self, face: np.ndarray, time: FakeTime, opens: list[Exception], grabs: list[Exception]
    ) -> None:
        super().__init__(clock=time.clock)
        self.face, self.time, self.opens, self.grabs = face, time, opens, grabs
        self.frames_at: list[float] = []

    def _open(self) -> Any:
        if self.opens:
            raise self.opens.pop(0)
        return object()

    def _grab(self, handle: Any) -> Any:
        if self.grabs:
            raise self.grabs.pop(0)
        self.frames_at.append(self.time.clock())
        # a fresh array per capture, as the drivers hand out (picamera2's capture_array copies the
        # camera's buffer, OpenCV's read() allocates): the command zeroes each frame after use
        return self.face.copy()

    def _release(self, handle: Any) -> None:
        pass


def resting_face() -> np.ndarray:
    """The cameraman (scikit-image's `camera`, no known copyright restrictions): read as neutral."""
    data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR))


def _run(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    *,
    opens: list[Exception] | None = None,
    grabs: list[Exception] | None = None,
    options: tuple[str, ...] = (),
) -> tuple[int, Camera, FakeTime, Path]:
    time = FakeTime()
    camera = Camera(resting_face(), time, list(opens or []), list(grabs or []))
    monkeypatch.setattr(sources, "make_camera", lambda cfg, clock: camera)
    parser = argparse.ArgumentParser()
    calibrate.add_arguments(parser)
    out = tmp_path / "cal.json"
    args = parser.parse_args(["--frames", "5", "--out", str(out), *options])
    return calibrate.run(args, Config(), clock=time.clock, sleep=time.sleep), camera, time, out


def test_a_countdown_then_frames_spaced_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The capture was a burst with no lead-in (20 frames in 0.89 s at 30 fps, the first as the
    command started): the listener had no time to settle, and a blink was several frames of it."""
    rc, camera, _time, out = _run(monkeypatch, tmp_path)
    assert rc == 0 and out.exists()
    said = capsys.readouterr().out
    assert "3...\n2...\n1...\n" in said, said
    start = 1000.0
    assert camera.frames_at[0] >= start + calibrate.COUNTDOWN_S
    gaps = np.diff(camera.frames_at)
    assert len(camera.frames_at) == 5 and all(gaps >= calibrate.SPACING_S), camera.frames_at


def test_a_dropped_frame_does_not_end_the_capture(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One failed capture ("frontend has timed out", as libcamera says it) ended the capture with
    "only 0 of 0 frames showed a face"; the camera's back-off is waited out and it goes on."""
    timeout = RuntimeError("Camera frontend has timed out!")
    rc, camera, _time, out = _run(monkeypatch, tmp_path, grabs=[timeout], options=("--json",))
    assert rc == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["frames"] == 5
    assert NeutralCalibration.from_json(out.read_text()).frames == 5
    assert len(camera.frames_at) == 5


def test_a_camera_held_elsewhere_says_why_and_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The running service holds the camera: each open fails until --max-seconds, then the camera's
    own error is said (it was never shown) with the hint to stop the service first."""
    busy: list[Exception] = [RuntimeError("Failed to acquire camera: Device or resource busy")] * 1000
    rc, camera, time, out = _run(monkeypatch, tmp_path, opens=busy, options=("--max-seconds", "20"))
    assert rc == 1 and not out.exists()
    err = capsys.readouterr().err
    assert "no frame from Raspberry Pi camera in 20 s" in err, err
    assert "Device or resource busy" in err and "sudo systemctl stop moodspeaker" in err, err
    assert "nothing saved" in err
    assert time.now >= 1000.0 + calibrate.COUNTDOWN_S + 20  # it tried until the deadline
    assert len(busy) - len(camera.opens) > 1  # and more than once
