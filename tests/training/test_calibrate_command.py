"""`moodspeaker calibrate-neutral` end to end: replayed frames, real detector and model, saved file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest

from calibratekit import refused_calibration
from moodspeaker.cli import main
from moodspeaker.mood.calibration import NeutralCalibration, calibration_file

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgetpu" / "expression.json"
pytestmark = pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped expression model yet")


def _frames(folder: Path, bgr: np.ndarray, count: int = 4) -> Path:
    """`count` frames of `bgr`, each shifted a little (a listener is never quite still)."""
    folder.mkdir()
    for i in range(count):
        cv2.imwrite(str(folder / f"{i:02d}.png"), np.roll(bgr, 4 * i, axis=1))
    return folder


def resting_face() -> np.ndarray:
    """The cameraman (scikit-image's `camera`, no known copyright restrictions): the shipped model
    reads his face as neutral, a little sad (as a resting face reads)."""
    data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(cv2.cvtColor(data.camera(), cv2.COLOR_GRAY2BGR))


def smiling_face() -> np.ndarray:
    """Eileen Collins (NASA, public domain), smiling: the shipped model reads her as happy."""
    data = pytest.importorskip("skimage.data")
    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])


@pytest.fixture
def face_folder(tmp_path: Path) -> Path:
    return _frames(tmp_path / "frames", resting_face())


def test_calibration_is_fitted_and_saved(
    face_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cal.json"
    args = ["calibrate-neutral", "--source", str(face_folder)]
    assert main([*args, "--frames", "3", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] == 3
    cal = NeutralCalibration.from_json(out.read_text(), str(out))
    assert cal.frames == 3 and "neutral" in cal.classes
    assert cal.bias[cal.classes.index("neutral")] >= 0
    assert cal.bias[cal.classes.index("sad")] < 0  # a resting face read as a little sad: corrected
    assert all(b <= 0 for c, b in zip(cal.classes, cal.bias, strict=True) if c != "neutral")


def test_the_calibration_is_the_owners_alone(face_folder: Path, tmp_path: Path) -> None:
    """A listener's resting face is personal data: 0600 whatever the umask (a plain write under the
    usual 022 made it 0644, readable by every user of the machine)."""
    data = tmp_path / "data"
    args = ["--set", f"device.data_dir={data}", "calibrate-neutral"]
    old = os.umask(0o022)
    try:
        assert main([*args, "--source", str(face_folder), "--frames", "3", "--profile", "ann", "--json"]) == 0
    finally:
        os.umask(old)
    saved = calibration_file(data, "ann")
    assert oct(stat.S_IMODE(saved.stat().st_mode)) == "0o600"


def test_no_face_saves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "blank"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), np.full((240, 320, 3), 128, np.uint8))
    out = tmp_path / "cal.json"
    args = ["--set", "detector.type=haar", "calibrate-neutral", "--source", str(folder), "--out", str(out)]
    assert main(args) == 1
    assert "showed a face" in capsys.readouterr().err
    assert not out.exists()


def test_calibration_file_is_per_profile(tmp_path: Path) -> None:
    assert calibration_file(tmp_path, "ann") == tmp_path / "calibration" / "neutral-ann.json"
    assert calibration_file(tmp_path, "../x").name == "neutral-___x.json"


def test_a_smile_is_not_saved_as_the_resting_face(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A listener who smiles at the speaker while calibrating: a calibration from it lowered happy on
    every later reading (neutral +3.0, happy -2.6 here; on FER2013Valid happy recall 0.94 -> 0.68)
    and was saved without a word.  Refused, nothing saved; `--force` keeps it and says so."""
    frames = _frames(tmp_path / "smile", smiling_face())
    out = tmp_path / "cal.json"
    args = ["calibrate-neutral", "--source", str(frames), "--frames", "3", "--out", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "read as happy" in err and "--force" in err and "nothing saved" in err, err
    assert not out.exists()

    assert main([*args, "--force", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "read as happy" in result["forced"]
    assert NeutralCalibration.from_json(out.read_text()).frames == 3


def test_two_faces_in_view_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Someone else in view in every frame: the calibration was saved for whichever face was the
    larger, as if it were the listener's.  Refused, nothing saved (the capture reads neutral: only
    the second face refuses it)."""
    listener = cv2.resize(resting_face()[50:350, 90:390], (300, 300))  # his face, as close as hers
    other = cv2.resize(smiling_face()[20:320, 75:375], (300, 300))
    frames = _frames(tmp_path / "two", np.ascontiguousarray(np.hstack([listener, other])), count=3)
    err = refused_calibration(frames, tmp_path / "cal.json", capsys)
    assert "more than one face in 3 of 3 frames" in err, err
