"""The configuration schema: validation messages, typo suggestions, atomic save, CLI round trip."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from moodspeaker.cli import main
from moodspeaker.config import Config, ConfigError, describe, load, save, with_changes
from moodspeaker.config.coerce import coerce
from moodspeaker.config.load import from_mapping, to_mapping


def test_defaults_need_no_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MOODSPEAKER_CONFIG", raising=False)
    assert load(None) == Config() or Path("/etc/moodspeaker/config.toml").exists()


def test_every_setting_has_help_and_a_valid_default() -> None:
    infos = list(describe())
    assert len(infos) > 40
    for info in infos:
        assert info.help, info.dotted
        assert coerce(info, info.default) == info.default, info.dotted


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[camera]\nintervall_s = 2\n")
    with pytest.raises(ConfigError) as err:
        load(path)
    assert "camera.intervall_s" in str(err.value)
    assert "did you mean 'interval_s'" in str(err.value)
    assert str(path) in str(err.value)


def test_key_in_wrong_section_is_named() -> None:
    with pytest.raises(ConfigError, match=r"belongs in \[player\]"):
        from_mapping({"camera": {"crossfade_s": 2}})


def test_unknown_section_suggests() -> None:
    with pytest.raises(ConfigError, match=r"unknown section \[camra\].*'camera'"):
        from_mapping({"camra": {}})


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (
            {"camera": {"interval_s": "fast"}},
            "camera.interval_s = 'fast' is invalid: expected a number from 0 to 60",
        ),
        ({"camera": {"interval_s": -1}}, "expected a number from 0 to 60"),
        ({"camera": {"enabled": "maybe"}}, "expected true or false"),
        ({"recommend": {"strategy": "loud"}}, "expected one of 'match', 'uplift', 'steady', 'off'"),
        ({"mqtt": {"port": 1.5}}, "mqtt.port = 1.5 is invalid: expected a whole number"),
        ({"library": {"folders": "~/Music"}}, None),
        ({"library": {"folders": [1, 2]}}, "expected a list of text strings"),
        ({"camera": "on"}, "must be a table"),
    ],
)
def test_wrong_values_name_key_value_and_form(raw: dict[str, Any], fragment: str | None) -> None:
    if fragment is None:
        assert from_mapping(raw).library.folders == ("~/Music",)
        return
    with pytest.raises(ConfigError) as err:
        from_mapping(raw)
    assert fragment in str(err.value)


def test_all_problems_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        from_mapping({"camera": {"interval_s": "x", "typ": "replay"}, "player": {"volume": 3}})
    assert len(err.value.problems) == 3


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[camera\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(bad)
    with pytest.raises(ConfigError, match="no such config file"):
        load(tmp_path / "absent.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(binary)


def test_save_is_atomic_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "config.toml"
    cfg = with_changes(
        Config(), {"camera.interval_s": "0.5", "mqtt.password": "s3cret", "library.folders": "/a, /b"}
    )
    save(cfg, path)
    assert load(path) == cfg
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # holds secrets
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left
    assert "interval_s = 0.5" in path.read_text()
    assert "volume" not in path.read_text()  # defaults are not repeated


def test_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    save(with_changes(Config(), {"player.volume": 0.3}), path)
    before = path.read_bytes()

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(OSError, match="No space"):
        save(with_changes(Config(), {"player.volume": 0.9}), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_with_changes_is_all_or_nothing() -> None:
    cfg = Config()
    with pytest.raises(ConfigError):
        with_changes(cfg, {"player.volume": 0.5, "player.crossfade_s": 99})
    assert cfg == Config()


def test_secrets_hidden_in_output() -> None:
    cfg = with_changes(Config(), {"mqtt.password": "hunter2"})
    assert to_mapping(cfg, hide_secrets=True)["mqtt"]["password"] == "********"


def test_cli_config_set_check_and_typo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text("")
    assert main(["-c", str(path), "config", "set", "camera.interval_s=2", "recommend.strategy=match"]) == 0
    assert load(path).camera.interval_s == 2.0
    assert main(["-c", str(path), "config", "check"]) == 0
    assert main(["-c", str(path), "config", "set", "camera.intervl_s=2"]) == 2
    assert "did you mean 'interval_s'" in capsys.readouterr().err
    assert main(["-c", str(path), "--set", "player.volume=7", "config", "show"]) == 2
    assert main(["-c", str(path), "--set", "player.volume=0.2", "config", "show"]) == 0
    assert "volume = 0.2" in capsys.readouterr().out


def test_temp_files_of_killed_writes_are_cleaned_up(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    stale = tmp_path / ".config.toml.abc123.tmp"  # what a kill -9 mid-save leaves behind
    fresh = tmp_path / ".config.toml.def456.tmp"  # maybe another writer at work right now
    other = tmp_path / ".state.json.xyz.tmp"  # another file's temp is not ours to judge
    for leftover in (stale, fresh, other):
        leftover.write_text("half")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    save(Config(), path)
    assert not stale.exists()
    assert fresh.exists() and other.exists()
