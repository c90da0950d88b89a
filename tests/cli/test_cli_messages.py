"""Errors a new user or an installer meets say what to do next, in one line, without a traceback."""

from __future__ import annotations

import importlib.util
import os
import socket
from pathlib import Path

import pytest

from moodspeaker.cli import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_mqtt_forget_without_a_broker_says_what_to_check(capsys: pytest.CaptureFixture[str]) -> None:
    port = _closed_port()
    argv = ["--set", f"mqtt.port={port}", "mqtt", "forget", "--device-id", "kitchen", "--timeout", "1"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err or f"localhost:{port}" in err
    assert "mqtt.host" in err and "mqtt.port" in err
    assert "mqtt.enabled is false" in err  # the default config: probably not the speaker's


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_unreadable_config_says_to_use_sudo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """/etc/moodspeaker/config.toml is 0600 moodspeaker: the pi user's `moodspeaker doctor` is refused."""
    path = tmp_path / "config.toml"
    path.write_text("")
    path.chmod(0o600)
    tmp_path.chmod(0o755)
    tmp_path.parent.chmod(0o755)  # pytest's base folder is root's (0700)
    os.seteuid(65534)  # nobody: the modules are loaded already, only the config file is read
    try:
        code = main(["-c", str(path), "config", "check"])
    finally:
        os.seteuid(0)
    assert code == 2
    err = capsys.readouterr().err
    assert str(path) in err and "sudo" in err


def test_eval_faces_names_a_label_file_that_is_not_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue #3 'Bad input': the error names the file (Python's decode error named none)."""
    split = tmp_path / "FER2013Valid"
    split.mkdir()
    (split / "label.csv").write_bytes(b"fer0000001.png,\xff\xfe\x97 binary")
    assert main(["eval-faces", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{split / 'label.csv'}: not UTF-8 text" in err


def test_eval_music_names_an_annotation_file_that_is_not_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "audio").mkdir()
    (tmp_path / "annotations.csv").write_bytes(b"song,\xa7\xff\x00")
    assert main(["eval-music", "--data", str(tmp_path)]) == 2
    assert f"{tmp_path / 'annotations.csv'}: not UTF-8 text" in capsys.readouterr().err


@pytest.mark.skipif(
    any(Path("/dev").glob("video*")) or importlib.util.find_spec("picamera2") is not None,
    reason="a camera may answer here",
)
@pytest.mark.parametrize("command", ["watch", "calibrate-neutral"])
def test_no_camera_says_what_to_do(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without a camera the camera commands said only 'no camera found: ...camera.replay_path is empty'."""
    assert main(["--set", f"device.data_dir={tmp_path}", command]) == 2
    err = capsys.readouterr().err
    assert "no camera found" in err and "--source" in err and "moodspeaker doctor" in err
