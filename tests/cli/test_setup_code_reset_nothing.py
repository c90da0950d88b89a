"""`moodspeaker setup-code --reset` where there is no page password (a typo'd data folder) resets nothing.

It created the folder, made a setup code there and said "The page's password was removed...", exit 0,
while the real page kept its password.  Now it says there was no password, exits 1 and creates nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker_web.setup_code import auth_path, private_dir, read_setup_code


def test_a_folder_that_does_not_exist_is_not_made(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOODSPEAKER_CONFIG", raising=False)
    typo = tmp_path / "moodspeakr"
    assert main(["--set", f"device.data_dir={typo}", "setup-code", "--reset"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert f"nothing to reset: {typo} has no page password (no such folder" in err
    assert not typo.exists()


def test_a_page_not_set_up_yet_keeps_its_folder_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOODSPEAKER_CONFIG", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    assert main(["--set", f"device.data_dir={data}", "setup-code", "--reset"]) == 1
    err = capsys.readouterr().err
    assert "has no page password (the page is not set up yet;" in err and "setup-code` shows" in err
    assert list(data.iterdir()) == [] and read_setup_code(data) is None
    private_dir(data)  # with a password the reset still works
    auth_path(data).write_text("{}", encoding="utf-8")
    assert main(["--set", f"device.data_dir={data}", "setup-code", "--reset"]) == 0
    assert "The page's password was removed" in capsys.readouterr().out
    assert not auth_path(data).exists() and read_setup_code(data)
