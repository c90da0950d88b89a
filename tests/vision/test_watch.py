"""`moodspeaker watch` end to end over a folder of face images (real detector, real interpreter)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from moodspeaker import cli

pytestmark = pytest.mark.train  # the placeholder model is built with TensorFlow

ASTRONAUT_FACE = (178, 81, 94, 94)


def _write(path: Path, image: np.ndarray) -> None:
    ok, data = cv2.imencode(path.suffix, image)
    assert ok
    path.write_bytes(data.tobytes())


@pytest.fixture(scope="module")
def face_folder(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Path:
    """Faces of several sizes, a photo without a face, a corrupt and an empty file."""
    folder = tmp_path_factory.mktemp("faces")
    x, y, w, h = ASTRONAUT_FACE
    head = astronaut[y - 40 : y + h + 40, x - 40 : x + w + 40]
    _write(folder / "1_portrait.jpg", astronaut)
    _write(folder / "2_closeup.png", cv2.resize(head, (1000, 1000)))  # the face fills the frame
    scene = np.zeros((1200, 1600, 3), np.uint8)
    scene[:] = (60, 110, 80)
    small = cv2.resize(head, None, fx=0.7, fy=0.7)
    scene[700 : 700 + small.shape[0], 1100 : 1100 + small.shape[1]] = small
    _write(folder / "3_small_in_scene.jpg", scene)  # a ~66 px face in a 1600 x 1200 photo
    _write(folder / "4_no_face.jpg", np.full((300, 400, 3), 200, np.uint8))
    (folder / "5_corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (folder / "6_empty.png").write_bytes(b"")
    return folder


def watch(args: list[str], placeholder_model: Path) -> int:
    return cli.main(["--set", f"classifier.model={placeholder_model}", "watch", *args])


def test_json_lines_over_a_folder(
    face_folder: Path,
    placeholder_model: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert watch(["--source", str(face_folder), "--json", "--interval", "0"], placeholder_model) == 0
    out = capsys.readouterr().out
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["source"] for r in records] == [
        "1_portrait.jpg",
        "2_closeup.png",
        "3_small_in_scene.jpg",
        "4_no_face.jpg",
    ]
    assert [r["face"] for r in records] == [True, True, True, False]
    for r in records:
        assert {"time", "mood", "confidence", "valence", "arousal", "face"} <= set(r)
        assert -1 <= r["valence"] <= 1 and -1 <= r["arousal"] <= 1 and 0 <= r["confidence"] <= 1
    assert records[0]["frame_probs"] and records[3]["frame_probs"] is None
    assert "5_corrupt.jpg: not a decodable image" in caplog.text  # skipped with a reason
    assert "6_empty.png: empty file" in caplog.text


def test_text_lines_and_limit(
    face_folder: Path, placeholder_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert watch(["--source", str(face_folder), "--limit", "2", "--interval", "0"], placeholder_model) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "face yes" in lines[0] and "valence" in lines[0] and "1_portrait.jpg" in lines[0]


def test_interval_paces_captures(
    face_folder: Path, placeholder_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        watch(
            ["--source", str(face_folder), "--json", "--limit", "3", "--interval", "0.2"], placeholder_model
        )
        == 0
    )
    ts = [json.loads(line)["t"] for line in capsys.readouterr().out.splitlines()]
    assert len(ts) == 3 and ts[2] - ts[0] >= 0.39


def test_config_typo_exits_2_with_a_suggestion(
    face_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--set", "mood.half_lfe_s=3", "watch", "--source", str(face_folder)]) == 2
    assert "half_life_s" in capsys.readouterr().err
    bad = tmp_path / "config.toml"
    bad.write_text('[camera]\ninterval_s = "fast"\n')
    assert cli.main(["-c", str(bad), "watch", "--source", str(face_folder)]) == 2
    err = capsys.readouterr().err
    assert "camera.interval_s" in err and "fast" in err


def test_missing_model_and_source_exit_2(
    face_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nothing" / "expression.json"
    assert cli.main(["--set", f"classifier.model={missing}", "watch", "--source", str(face_folder)]) == 2
    assert str(missing) in capsys.readouterr().err
    assert cli.main(["watch", "--source", str(tmp_path / "absent")]) == 2
    assert "source not found" in capsys.readouterr().err


def test_folder_without_readable_images_exits_1(
    tmp_path: Path, placeholder_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.jpg").write_bytes(b"nope")
    assert watch(["--source", str(tmp_path), "--interval", "0"], placeholder_model) == 1
    assert "no frames" in capsys.readouterr().err


def _snapshot(*roots: Path) -> dict[Path, tuple[int, int]]:
    files: dict[Path, tuple[int, int]] = {}
    for root in roots:
        for dirpath, _, names in os.walk(root):
            for name in names:
                p = Path(dirpath) / name
                try:
                    st = p.stat()
                except OSError:
                    continue
                files[p] = (st.st_size, st.st_mtime_ns)
    return files


def test_privacy_no_frame_is_written_anywhere(
    face_folder: Path,
    placeholder_model: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Run watch over the folder with HOME, the working folder and TMPDIR pointing at fresh folders;
    afterwards not one file was created or changed there, nor in the image folder, and OpenCV's
    writers were never called."""
    home, work, tmp = tmp_path / "home", tmp_path / "cwd", tmp_path / "tmp"
    for d in (home, work, tmp):
        d.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.chdir(work)
    written: list[str] = []

    def refuse(name: str) -> Callable[..., None]:
        def _call(*args: object, **kwargs: object) -> None:
            written.append(name)
            raise AssertionError(f"cv2.{name} called during watch")

        return _call

    for name in ("imwrite", "imencode", "VideoWriter"):
        monkeypatch.setattr(cv2, name, refuse(name))
    roots = (home, work, tmp, face_folder, placeholder_model.parent)
    before = _snapshot(*roots)
    assert watch(["--source", str(face_folder), "--json", "--interval", "0"], placeholder_model) == 0
    after = _snapshot(*roots)
    assert after == before
    assert written == []
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 4
    # what leaves the vision stage is numbers: no pixel arrays in the output
    assert max(len(line) for line in out.splitlines()) < 1000


def test_vanished_camera_keeps_reporting_instead_of_crashing(
    placeholder_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        watch(["--source", "/dev/video97", "--json", "--limit", "2", "--interval", "0"], placeholder_model)
        == 0
    )
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["camera"] for r in records] == ["retrying", "retrying"]
    assert all(not r["face"] and r["mood"] == "unknown" for r in records)


def test_privacy_switch_is_honoured(placeholder_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--set", "camera.enabled=false", "--set", f"classifier.model={placeholder_model}"]
    assert cli.main([*args, "watch", "--source", "0", "--limit", "1"]) == 2
    assert "switched off" in capsys.readouterr().err


def test_video_timeline_uses_video_time(
    tmp_path: Path, placeholder_model: Path, astronaut: np.ndarray, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (512, 512))
    for _ in range(20):
        writer.write(astronaut)
    writer.release()
    assert watch(["--source", str(path), "--json", "--interval", "0"], placeholder_model) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["t"] for r in records] == pytest.approx([i / 10 for i in range(20)])
    assert all(r["face"] for r in records)
    assert records[-1]["mood"] != "unknown"  # 2 s of one steady face is enough to decide
