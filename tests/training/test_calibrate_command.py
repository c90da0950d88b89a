"""`moodspeaker calibrate-neutral` end to end: replayed frames, real detector and model, saved file."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodspeaker.cli import main
from moodspeaker.mood.calibration import NeutralCalibration, calibration_file

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgetpu" / "expression.json"
pytestmark = pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped expression model yet")


@pytest.fixture
def face_folder(tmp_path: Path) -> Path:
    data = pytest.importorskip("skimage.data")
    bgr = np.ascontiguousarray(data.astronaut()[:, :, ::-1])  # Eileen Collins, NASA, public domain
    folder = tmp_path / "frames"
    folder.mkdir()
    for i in range(4):
        shifted = np.roll(bgr, 4 * i, axis=1)
        cv2.imwrite(str(folder / f"{i:02d}.png"), shifted)
    return folder


def test_calibration_is_fitted_and_saved(
    face_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cal.json"
    args = ["--set", "detector.type=haar", "calibrate-neutral", "--source", str(face_folder)]
    assert main([*args, "--frames", "3", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] == 3
    cal = NeutralCalibration.from_json(out.read_text(), str(out))
    assert cal.frames == 3 and "neutral" in cal.classes
    assert cal.bias[cal.classes.index("neutral")] >= 0
    assert all(b <= 0 for c, b in zip(cal.classes, cal.bias, strict=True) if c != "neutral")


def test_the_calibration_is_the_owners_alone(face_folder: Path, tmp_path: Path) -> None:
    """A listener's resting face is personal data: 0600 whatever the umask (a plain write under the
    usual 022 made it 0644, readable by every user of the machine)."""
    data = tmp_path / "data"
    args = ["--set", "detector.type=haar", "--set", f"device.data_dir={data}", "calibrate-neutral"]
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
