"""`moodspeaker setup-code` on a page already set up names the reset command for the same data folder:
after `--set device.data_dir=...` it said a bare `moodspeaker setup-code --reset`, which resets the
page of another folder (the one of the config the CLI finds by itself).  The named command is run
through the real CLI and must reset this folder's page."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker_web.setup_code import auth_path, is_set_up, private_dir, read_setup_code


def test_the_reset_hint_keeps_the_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOODSPEAKER_CONFIG", raising=False)
    data = tmp_path / "speaker data"  # a space: the command must quote it
    private_dir(data)
    auth_path(data).write_text("{}", encoding="utf-8")  # an owner password exists
    assert main(["--set", f"device.data_dir={data}", "setup-code"]) == 0
    said = capsys.readouterr().out
    hint = re.search(r"Run `([^`]+)`", said)
    assert hint, said
    command = shlex.split(hint.group(1))
    assert command[0] == "moodspeaker" and command[-2:] == ["setup-code", "--reset"], command
    assert f"device.data_dir={data}" in command, command
    assert main(command[1:]) == 0  # what the person would type, through the real CLI
    assert not is_set_up(data)
    code = read_setup_code(data)
    assert code and f"Setup code: {code}" in capsys.readouterr().out


def test_the_permission_hint_keeps_the_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder the command cannot use (here a file where the data folder should be: refused even to
    root) is answered with the command to run as the service user, for the same folder: a bare
    `sudo -u moodspeaker moodspeaker setup-code` reads the folder of the config found by itself."""
    monkeypatch.delenv("MOODSPEAKER_CONFIG", raising=False)
    data = tmp_path / "speaker data"
    data.write_text("not a folder", encoding="utf-8")
    assert main(["--set", f"device.data_dir={data}", "setup-code"]) == 1
    said = capsys.readouterr().err
    hint = re.search(r"e\.g\. (sudo -u moodspeaker .+?setup-code)\)", said)
    assert hint, said
    command = shlex.split(hint.group(1))
    assert command[:4] == ["sudo", "-u", "moodspeaker", "moodspeaker"], command
    assert f"device.data_dir={data}" in command, command
    assert command[-1] == "setup-code", command
