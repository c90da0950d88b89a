"""`moodspeaker config ...` as an installer uses it: what lands in the file, who owns it, and messages
that say where a misplaced setting belongs."""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config import ConfigError, load
from moodspeaker.config.load import from_mapping

#: A user that exists on every Debian system (the service user stands in for it).
NOBODY_UID = 65534


def test_config_set_does_not_save_one_run_overrides(tmp_path: Path) -> None:
    """`--set` is for one run: `--set player.volume=0.9 config set web.port=8081` saves only the port."""
    path = tmp_path / "config.toml"
    path.write_text("[player]\nvolume = 0.4\n")
    assert main(["-c", str(path), "--set", "player.volume=0.9", "config", "set", "web.port=8081"]) == 0
    saved = load(path)
    assert saved.web.port == 8081
    assert saved.player.volume == 0.4


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the file to another user")
def test_config_set_as_root_keeps_the_file_readable_by_its_owner(tmp_path: Path) -> None:
    """`sudo moodspeaker config set ...` must not turn the service user's 0600 file into root's:
    the service (User=moodspeaker) could no longer read its own configuration."""
    path = tmp_path / "config.toml"
    path.write_text("[player]\nvolume = 0.4\n")
    os.chown(path, NOBODY_UID, NOBODY_UID)
    path.chmod(0o600)
    assert main(["-c", str(path), "config", "set", "player.volume=0.3"]) == 0
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (NOBODY_UID, NOBODY_UID)
    assert st.st_mode & 0o777 == 0o600
    assert load(path).player.volume == 0.3


def test_config_set_keeps_group_read_and_never_opens_the_file_to_others(tmp_path: Path) -> None:
    """A root:moodspeaker 0640 file stays readable by the group; a 0644 one is closed to others
    (0640: it may now hold the MQTT password)."""
    shared = tmp_path / "shared.toml"
    shared.write_text("")
    shared.chmod(0o640)
    assert main(["-c", str(shared), "config", "set", "mqtt.password=s3cret"]) == 0
    assert shared.stat().st_mode & 0o777 == 0o640
    loose = tmp_path / "loose.toml"
    loose.write_text("")
    loose.chmod(0o644)
    assert main(["-c", str(loose), "config", "set", "mqtt.password=s3cret"]) == 0
    assert loose.stat().st_mode & 0o777 == 0o640


def test_exact_key_in_another_section_beats_a_near_miss_here() -> None:
    """privacy.retention_days written under [web] is that setting, not a typo of web.session_days."""
    with pytest.raises(ConfigError) as err:
        from_mapping({"web": {"retention_days": 3}})
    assert "belongs in [privacy]" in str(err.value)
    assert "session_days" not in str(err.value)


def test_setting_outside_any_section_names_its_section(tmp_path: Path) -> None:
    """`volume = 0.3` at the top of the file is a setting without its [player] header, not a section."""
    path = tmp_path / "config.toml"
    path.write_text("volume = 0.3\n")
    with pytest.raises(ConfigError) as err:
        load(path)
    message = str(err.value)
    assert "volume" in message and "[player]" in message
    assert "unknown section" not in message


def test_config_check_names_the_file_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[web]\nretention_days = 3\n")
    assert main(["-c", str(path), "config", "check"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "[privacy]" in err


def test_shared_name_outside_any_section_lists_its_sections() -> None:
    with pytest.raises(ConfigError) as err:
        from_mapping({"enabled": True})
    assert "outside any [section]" in str(err.value)
    assert "[camera]" in str(err.value) and "[mqtt]" in str(err.value)


def test_config_set_without_a_file_says_how_to_make_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """It said 'name the file with --config', and a named new file was then refused as missing: the
    messages now say that the file must exist and that an empty one will do."""
    loader = importlib.import_module("moodspeaker.config.load")  # the package exports a load() too
    monkeypatch.setattr(loader, "SYSTEM_CONFIG", tmp_path / "etc" / "config.toml")
    assert main(["config", "set", "player.volume=0.3"]) == 2
    assert "create" in capsys.readouterr().err
    new = tmp_path / "new.toml"
    assert main(["-c", str(new), "config", "set", "player.volume=0.3"]) == 2
    err = capsys.readouterr().err
    assert str(new) in err and "create it" in err and "empty" in err
    new.touch()
    assert main(["-c", str(new), "config", "set", "player.volume=0.3"]) == 0
    assert load(new).player.volume == 0.3


@pytest.mark.parametrize(
    "case",
    [
        ("device.data_dir", "", "a full path"),
        ("device.data_dir", "data", "a full path"),
        ("device.data_dir", "  /tmp/x", "a full path"),
        ("device.name", "  ", "a non-empty text string"),
        ("mqtt.host", "", "a non-empty text string"),
        ("web.host", "", "a non-empty text string"),
    ],
)
def test_blank_or_relative_places_are_refused(
    case: tuple[str, str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--set device.data_dir=` wrote the page's setup code into ./web of whatever folder the
    command ran in (and the service, started in /, would write there)."""
    setting, value, expected = case
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    assert main(["--set", f"{setting}={value}", "setup-code"]) == 2
    assert f"{setting} = {value!r} is invalid: expected {expected}" in capsys.readouterr().err
    assert not any(cwd.iterdir())


def test_data_dir_may_start_with_a_tilde() -> None:
    assert from_mapping({"device": {"data_dir": "~/speaker"}}).device.data_dir == "~/speaker"


def test_config_show_hides_passwords_inside_server_urls(capsys: pytest.CaptureFixture[str]) -> None:
    """`config show` hid mqtt.password but printed an OpenSubsonic server's password in full (the
    page's data export already masked it)."""
    server = "subsonic+http://ann:hunter2@nas.local:4533"
    assert main(["--set", f"library.servers={server}, http://nas.local:8765", "config", "show"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out
    assert "subsonic+http://ann:********@nas.local:4533" in out and "http://nas.local:8765" in out


@pytest.mark.parametrize(
    "value",
    [
        '["default","alex"]',
        "['default', 'alex']",
        '[ "default", "alex", ]',
        "default,alex",
        " default , alex ",
    ],
)
def test_set_takes_a_list_literal_or_commas(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`--set 'recommend.profiles=["default","alex"]'` was split on its commas into the names
    '["default"' and '"alex"]'; a TOML/JSON list literal is a list, and a,b still works."""
    assert main(["--set", f"recommend.profiles={value}", "config", "show"]) == 0
    out = capsys.readouterr().out
    assert 'profiles = [\n    "default",\n    "alex",\n]' in out, (
        out
    )  # two names, no brackets or quotes in them


@pytest.mark.parametrize(
    "value", ['["default","alex"', 'default","alex"]', '"default","alex"', "[default, alex]"]
)
def test_set_refuses_a_broken_list_naming_the_setting(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--set", f"recommend.profiles={value}", "config", "show"]) != 0
    err = capsys.readouterr().err
    assert "recommend.profiles" in err and "list" in err, err
    assert '["default", "alex"]' in err, err  # says how to write it


def test_config_schema_gives_each_setting_its_label(capsys: pytest.CaptureFixture[str]) -> None:
    """`config schema` names each setting as the page does (setting(label=...) or the key in words),
    so a tool built on it can say "Start volume" where the page does, not only player.volume."""
    assert main(["config", "schema"]) == 0
    rows = {row["key"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["player.volume"]["label"] == "Start volume"  # the schema's own label
    assert rows["camera.interval_s"]["label"] == "Interval"  # the key in words, its unit apart
    assert rows["mqtt.ca_file"]["label"] == "CA file"
    assert all(row["label"] for row in rows.values())
