"""A refusal of a setting by the CLI (`moodspeaker config set`, `--set`, the config file) names the key,
the value and what the setting takes, with its range and unit ("expected a number from 0 to 60 s": the
unit was missing).  The settings form's refusals take the same words (tests/web/test_form_refusals)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config import describe
from moodspeaker.config.load import SettingInfo

BOUNDED = [info for info in describe() if info.kind in {"int", "float"} and info.min is not None]


def _too_big(info: SettingInfo) -> str:
    assert info.max is not None
    return str(int(info.max) + 1)


def _range(info: SettingInfo) -> str:
    unit = f" {info.unit}" if info.unit else ""
    return f"from {info.min:g} to {info.max:g}{unit}"


@pytest.mark.parametrize("info", BOUNDED, ids=lambda info: info.dotted)
def test_the_cli_names_the_key_the_value_and_the_range_with_its_unit(
    info: SettingInfo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.touch()
    assert main(["-c", str(config), "config", "set", f"{info.dotted}={_too_big(info)}"]) == 2
    err = capsys.readouterr().err
    assert f"{info.dotted} = '{_too_big(info)}' is invalid: expected " in err, err
    assert _range(info) in err, err
    assert config.read_text() == ""
