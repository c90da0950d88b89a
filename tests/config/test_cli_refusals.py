"""A refusal of a setting by the CLI (`moodspeaker config set`, `--set`, the config file) names the key,
the value and what the setting takes, with its range and unit ("expected a number from 0 to 60 s": the
unit was missing).  The settings form's refusals take the same words (tests/web/test_form_refusals)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bounds import allowed_range, too_big
from moodspeaker.cli import main
from moodspeaker.config import describe
from moodspeaker.config.load import SettingInfo

BOUNDED = [info for info in describe() if info.kind in {"int", "float"} and info.min is not None]


@pytest.mark.parametrize("info", BOUNDED, ids=lambda info: info.dotted)
def test_the_cli_names_the_key_the_value_and_the_range_with_its_unit(
    info: SettingInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.touch()
    assert main(["-c", str(config), "config", "set", f"{info.dotted}={too_big(info)}"]) == 2
    err = capsys.readouterr().err
    assert f"{info.dotted} = '{too_big(info)}' is invalid: expected " in err, err
    assert allowed_range(info) in err, err
    assert config.read_text() == ""


@pytest.mark.parametrize(
    ("typed", "hint"),
    [("50", ": for 50 % write 0.5"), ("7.5", ": for 7.5 % write 0.075"), ("-1", ""), ("abc", "")],
)
def test_the_volume_refusal_says_the_key_is_a_fraction_and_the_page_shows_percent(
    typed: str, hint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page shows the volume in % (Settings -> Start volume (%)); the key stays a fraction.
    `config set player.volume=50`, typed from the page, said only "expected a number from 0 to 1"."""
    config = tmp_path / "config.toml"
    config.write_text("# my notes\n")
    assert main(["-c", str(config), "config", "set", f"player.volume={typed}"]) == 2
    err = capsys.readouterr().err
    said = (
        f"player.volume = '{typed}' is invalid: expected a fraction from 0 to 1 "
        f"(0.5 = 50 %; the page shows it in %){hint}\n"
    )
    assert said in err, err
    assert config.read_text() == "# my notes\n"
    assert main(["-c", str(config), "--set", f"player.volume={typed}", "config", "show"]) == 2
    assert said in capsys.readouterr().err  # one run's override: the same words
    assert main(["-c", str(config), "config", "set", "player.volume=0.5"]) == 0
    assert config.read_text() == "# my notes\n\n[player]\nvolume = 0.5\n"


def test_a_volume_of_50_in_the_file_is_refused_with_the_fraction_to_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[player]\nvolume = 50\n")
    assert main(["-c", str(config), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert "player.volume = 50 is invalid: expected a fraction from 0 to 1 (0.5 = 50 %; " in err, err
    assert ": for 50 % write 0.5" in err, err


def test_config_set_names_the_command_line_as_the_source_of_a_typed_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The refusal of a value typed after `config set` named the config file as its source
    ("/etc/moodspeaker/config.toml: camera.interval_s = '99' is invalid"), sending the owner to a
    file that holds no such line.  A problem of the file itself still names the file."""
    config = tmp_path / "config.toml"
    config.write_text("[camera]\ninterval_s = 5\n")
    assert main(["-c", str(config), "config", "set", "camera.interval_s=99", "camera.intervall_s=3"]) == 2
    err = capsys.readouterr().err
    assert "command line: camera.interval_s = '99' is invalid: expected " in err, err
    assert "command line: unknown setting camera.intervall_s" in err, err
    assert f"{config}: camera" not in err, err
    assert f"nothing was saved to {config}" in err, err
    assert config.read_text() == "[camera]\ninterval_s = 5\n"
    config.write_text("[camera]\ninterval_s = 99\n")
    assert main(["-c", str(config), "config", "check"]) == 2
    assert f"{config}: camera.interval_s = 99 is invalid" in capsys.readouterr().err
