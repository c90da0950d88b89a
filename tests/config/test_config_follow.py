"""config.follow: the settings changed in the config file since the running speaker last looked.

Why: the service follows its file so that `moodspeaker config set` reaches it (the service side is
tests/service/test_config_set_live.py); here the file's cases: unchanged, changed, half written (does
not load: nothing until it does, then what changed since the last file that loaded), deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config import Config, save, with_changes
from moodspeaker.config.follow import FileFollower


def test_the_settings_changed_since_the_last_look(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save(Config(), path)
    follower = FileFollower(path)
    assert follower.changes() == {}
    save(with_changes(Config(), {"player.crossfade_s": 5, "web.allowed_hosts": ["nas.lan"]}), path)
    assert follower.changes() == {"player.crossfade_s": 5.0, "web.allowed_hosts": ["nas.lan"]}
    assert follower.changes() == {}


def test_a_file_that_does_not_load_changes_nothing_until_it_does(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save(Config(), path)
    follower = FileFollower(path)
    path.write_text("[player]\ncrossfade_s = 5\n[web")  # an editor half way through its save
    assert follower.changes() == {}
    path.write_text("[player]\ncrossfade_s = 5\nvolume = 0.3\n")
    assert follower.changes() == {"player.volume": 0.3, "player.crossfade_s": 5.0}
    path.unlink()
    assert follower.changes() == {}  # deleted: the speaker runs on as it was


def test_config_set_says_what_waits_for_a_restart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The running speaker takes the file's changes (service.file_settings); the command says so, and
    names the settings it takes only when it restarts, as the page does after a save."""
    path = tmp_path / "config.toml"
    save(Config(), path)
    assert main(["-c", str(path), "config", "set", "player.crossfade_s=2", "web.port=8081"]) == 0
    out = capsys.readouterr().out
    assert f"saved {path}: a running speaker applies it within seconds; web.port only when it restarts" in out
    assert main(["-c", str(path), "config", "set", "player.crossfade_s=3"]) == 0
    assert "restarts" not in capsys.readouterr().out
