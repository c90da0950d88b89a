"""`moodspeaker watch --source <folder> --interval 0` (README's example) gives a mood per image.

The images are FER-like (48 x 48 grey face crops) made here from the demo's public-domain astronaut
(edge/moodspeaker/demo/faces.py) and read by the shipped expression model.  A folder has no clock:
read at --interval 0 it passes in a fraction of a second, which the mood filter, fed the wall clock,
took for a glance too short to become a mood ("unknown" for every image although each image read
happy).  Each image now counts as one capture interval.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from moodspeaker import cli
from moodspeaker.demo.faces import FACE_BOX, expression


def fer_like(name: str) -> np.ndarray:
    """The astronaut's face with `name`'s expression as a 48 x 48 grey crop, as in FER2013."""
    x, y, w, h = FACE_BOX
    margin = w // 5
    crop = expression(name)[y - margin : y + h + margin, x - margin : x + w + margin]
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, (48, 48), interpolation=cv2.INTER_AREA)


@pytest.fixture
def smiles(tmp_path: Path) -> Path:
    folder = tmp_path / "faces"
    folder.mkdir()
    image = fer_like("smile")
    for i in range(6):
        ok, data = cv2.imencode(".png", image)
        assert ok
        (folder / f"fer{i:04d}.png").write_bytes(data.tobytes())
    return folder


def records(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_a_folder_of_smiles_reads_happy_at_interval_0(
    smiles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["watch", "--source", str(smiles), "--json", "--interval", "0"]) == 0
    got = records(capsys)
    assert [r["source"] for r in got] == [f"fer{i:04d}.png" for i in range(6)]
    assert all(r["face"] for r in got)
    assert all(max(r["frame_probs"], key=r["frame_probs"].get) == "happy" for r in got)
    # one image per camera.interval_s (1 s by default), whatever the wall clock did
    assert [r["t"] for r in got] == [float(i) for i in range(6)]
    # a smile held for 6 captures is a mood on a speaker, so it is one here
    assert [r["mood"] for r in got[-3:]] == ["happy"] * 3
    assert float(got[-1]["confidence"]) > 0.5


def test_the_images_clock_follows_interval_and_the_config(
    smiles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["watch", "--source", str(smiles), "--json", "--interval", "0.5", "--limit", "3"]) == 0
    assert [r["t"] for r in records(capsys)] == [0.0, 0.5, 1.0]
    args = ["--set", "camera.interval_s=2", "watch", "--source", str(smiles), "--json", "--interval", "0"]
    assert cli.main([*args, "--limit", "3"]) == 0
    got = records(capsys)
    assert [r["t"] for r in got] == [0.0, 2.0, 4.0]
    assert got[-1]["mood"] == "happy"  # 4 s of a steady smile
