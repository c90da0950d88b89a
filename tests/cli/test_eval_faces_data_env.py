"""`moodspeaker eval-faces` takes its faces from $MOODSPEAKER_DATA when --data is not given.

README: commands that need datasets take `--data` or `$MOODSPEAKER_DATA`; eval-faces required --data.
Its default is the datasets folder's selection split, ferplus/FER2013Valid.  The faces here are FER-like
48 x 48 grey crops of the demo's public-domain astronaut, labelled happy by all ten "annotators".
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest

from moodspeaker.cli import main
from moodspeaker.demo.faces import FACE_BOX, expression


def _ferplus_split(split: Path, count: int) -> None:
    split.mkdir(parents=True)
    x, y, w, h = FACE_BOX
    m = w // 5
    face = cv2.cvtColor(expression("smile")[y - m : y + h + m, x - m : x + w + m], cv2.COLOR_BGR2GRAY)
    face = cv2.resize(face, (48, 48), interpolation=cv2.INTER_AREA)
    rows = []
    for i in range(count):
        name = f"fer{i:07d}.png"
        ok, data = cv2.imencode(".png", face)
        assert ok
        (split / name).write_bytes(data.tobytes())
        # neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
        rows.append(f'{name},"(0, 0, 48, 48)",0,10,0,0,0,0,0,0,0,0\n')
    (split / "label.csv").write_text("".join(rows), encoding="utf-8")


def test_the_faces_come_from_moodspeaker_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    split = tmp_path / "datasets" / "ferplus" / "FER2013Valid"
    _ferplus_split(split, 3)
    _ferplus_split(tmp_path / "datasets" / "ferplus" / "FER2013Train", 1)  # never the default
    monkeypatch.setenv("MOODSPEAKER_DATA", str(tmp_path / "datasets"))
    assert main(["eval-faces", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"] == str(split) and report["images"] == 3
    assert report["accuracy"] == 1.0  # the smiles read happy


def test_neither_data_nor_the_variable_says_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MOODSPEAKER_DATA", raising=False)
    assert main(["eval-faces"]) == 2
    err = capsys.readouterr().err
    assert "give --data DIR" in err and "MOODSPEAKER_DATA" in err and "ferplus/FER2013Valid" in err
    monkeypatch.setenv("MOODSPEAKER_DATA", str(tmp_path))  # a datasets folder without ferplus/
    assert main(["eval-faces"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'ferplus' / 'FER2013Valid'}: no such folder ($MOODSPEAKER_DATA/" in err
