"""The demo says how to run the other commands on its data, and what it says works.

Alone, `moodspeaker library stats` after a demo showed an empty library (the configured data folder,
not the demo's <data_dir>/demo) and `moodspeaker config set` asked for /etc/moodspeaker/config.toml.
The command the demo prints is run here through the real CLI against a demo's own settings file."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.commands.demo import commands_note, demo_config
from moodspeaker.config import Config, load


def _command(note: str, command: str) -> list[str]:
    """The note's command line with COMMAND replaced, split as a shell would."""
    line = note.split(": ", 1)[1].split(" (e.g.", maxsplit=1)[0]
    words = shlex.split(line.replace("COMMAND", command))
    assert words[0] == "moodspeaker", note
    return words[1:]


def test_the_printed_command_reads_and_changes_the_demos_own_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOODSPEAKER_CONFIG", str(tmp_path / "elsewhere.toml"))  # not the demo's
    (tmp_path / "elsewhere.toml").write_text(f'[device]\ndata_dir = "{tmp_path / "speaker"}"\n')
    folder = tmp_path / "my demo"  # a space: the command must come out quoted
    folder.mkdir()
    _, settings = demo_config(Config(), folder)
    note = commands_note(settings)

    capsys.readouterr()
    assert main(_command(note, "library stats")) == 0
    said = capsys.readouterr().out
    assert f"no library indexed yet in {folder} (run" in said, said  # the demo's folder (not yet indexed)

    assert main(_command(note, "config set library.min_track_s=10")) == 0
    assert load(settings).library.min_track_s == 10.0
    assert load(settings).device.data_dir == str(folder)


@pytest.mark.parametrize("filed", [None, "elsewhere"], ids=["no data folder", "another folder"])
def test_a_demo_file_not_naming_the_demo_s_folder_is_given_it(
    filed: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A demo file written by hand, or a demo folder copied elsewhere and run with --data-dir, named
    no data folder or another: the demo ran on its own all the same, while the printed command read
    the default data folder, or the other."""
    folder = tmp_path / "demo"
    folder.mkdir()
    settings = folder / "config.toml"
    device = f'[device]\ndata_dir = "{tmp_path / filed}"\n' if filed else ""
    settings.write_text(f"# my demo\n{device}[library]\nfolders = []\n")
    config, path = demo_config(Config(), folder)
    assert path == settings and config.device.data_dir == str(folder)
    assert load(settings).device.data_dir == str(folder), settings.read_text()
    assert settings.read_text().startswith("# my demo\n") and load(settings).library.folders == ()

    capsys.readouterr()
    assert main(_command(commands_note(settings), "library stats")) == 0
    said = capsys.readouterr().out
    assert f"no library indexed yet in {folder} (run" in said, said


def test_a_demo_file_naming_the_demo_s_folder_is_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = tmp_path / "demo"
    folder.mkdir()
    text = '[device]\ndata_dir = "~/demo"\n\n[library]\nfolders = []\n'
    (folder / "config.toml").write_text(text)
    config, settings = demo_config(Config(), folder)
    assert config.device.data_dir == str(folder) and settings.read_text() == text
