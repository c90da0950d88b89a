"""config.follow: the settings changed in the config file since the running speaker last took it;
config.asked: the settings `config set` asked it to apply.

Why: the service follows its file so that `moodspeaker config set` reaches it (the service side is
tests/service/test_config_set_live.py and test_config_follow_live.py); here the file's cases:
unchanged, changed (taken once the same at two looks), not loading (nothing until it does, then what
changed since the file was last taken), emptied (nothing: a setting gone is no change), deleted; and
the requests `config set` leaves for the speaker."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config import Config, save, with_changes
from moodspeaker.config.asked import ASKED_FILE, KEEP, Asked, ask, say_followed
from moodspeaker.config.edit import locked
from moodspeaker.config.follow import FileFollower, Taken
from moodspeaker.service.datalock import hold_data_folder


def _pass(follower: FileFollower, asked: Iterable[str] = ()) -> Taken | None:
    """One pass of the follower, as service.file_settings makes it: a look, and what it offers taken
    under the file's lock."""
    names = set(asked)
    data = follower.look(asked=bool(names))
    if data is None:
        return None
    with locked(follower.path):
        return follower.take(data, names)


def test_the_settings_changed_since_the_file_was_last_taken(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save(Config(), path)
    follower = FileFollower(path)
    assert _pass(follower) is None
    save(with_changes(Config(), {"player.crossfade_s": 5, "web.allowed_hosts": ["nas.lan"]}), path)
    assert _pass(follower) is None  # seen once: it may be half written
    assert _pass(follower) == Taken({"player.crossfade_s": 5.0, "web.allowed_hosts": ["nas.lan"]})
    assert _pass(follower) is None
    assert _pass(follower, ["player.crossfade_s"]) == Taken(asked={"player.crossfade_s": 5.0})


def test_a_file_that_does_not_load_changes_nothing_until_it_does(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save(Config(), path)
    follower = FileFollower(path)
    path.write_text("[player]\ncrossfade_s = 5\n[web")  # a typo
    assert _pass(follower) is None
    assert _pass(follower) is None
    path.write_text("[player]\ncrossfade_s = 5\nvolume = 0.3\n")
    assert _pass(follower) is None
    assert _pass(follower) == Taken({"player.volume": 0.3, "player.crossfade_s": 5.0})
    path.unlink()
    assert _pass(follower) is None  # deleted: the speaker runs on as it was
    assert _pass(follower) is None


def test_a_setting_gone_from_the_file_is_no_change(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An emptied file (an editor's O_TRUNC, `cat > f` before its first line), the same at two looks
    or more: no setting it had set changes back to its default; set again, a value is a change."""
    path = tmp_path / "config.toml"
    path.write_text('[camera]\nenabled = false\n[web]\nhost = "127.0.0.1"\n')
    follower = FileFollower(path)
    path.write_text("")
    assert _pass(follower) is None
    assert _pass(follower) == Taken()
    assert "no longer sets camera.enabled, web.host" in caplog.text
    path.write_text('[camera]\nenabled = true\n[web]\nhost = "127.0.0.1"\n')
    assert _pass(follower) is None
    assert _pass(follower) == Taken({"camera.enabled": True})


def test_config_set_asks_for_what_it_set(tmp_path: Path) -> None:
    """Names only, kept for a burst of commands between two looks; those from before the speaker
    started are not asked again; no data folder (no speaker ever ran with it), nothing written."""
    path, data = tmp_path / "config.toml", tmp_path / "data"
    save(Config(), path)
    assert ask(data, path, ["camera.enabled"]) is None
    data.mkdir()
    ask(data, path, ["player.volume"])  # before the speaker's start
    asked = Asked(data, path)
    assert asked.new() == set()
    here = ["-c", str(path), "--set", f"device.data_dir={data}"]
    assert main([*here, "config", "set", "mqtt.password=s3cret-word"]) == 0
    ask(data, path, ["camera.enabled", "player.crossfade_s"])
    assert asked.new() == {"mqtt.password", "camera.enabled", "player.crossfade_s"}
    assert asked.new() == set()
    assert "s3cret-word" not in (data / ASKED_FILE).read_text()  # names, never values
    for n in range(KEEP + 5):
        ask(data, path, [f"player.n{n}"])
    assert len(json.loads((data / ASKED_FILE).read_text())["requests"]) == KEEP
    assert asked.new() == {f"player.n{n}" for n in range(5, KEEP + 5)}


def test_config_set_says_what_waits_for_a_restart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The running speaker takes the file's changes (service.file_settings); the command says so, and
    names the settings it takes only when it restarts, as the page does after a save."""
    path, data = tmp_path / "config.toml", tmp_path / "data"
    save(with_changes(Config(), {"device.data_dir": str(data)}), path)
    with hold_data_folder(data):  # as the speaker running on it holds it (commands.run)
        say_followed(data, path)  # and says (service.runner)
        assert main(["-c", str(path), "config", "set", "player.crossfade_s=2", "web.port=8081"]) == 0
        out = capsys.readouterr().out
        said = f"saved {path}: a running speaker applies it within seconds; web.port only when it restarts"
        assert said in out
        assert main(["-c", str(path), "config", "set", "player.crossfade_s=3"]) == 0
        assert "restarts" not in capsys.readouterr().out
