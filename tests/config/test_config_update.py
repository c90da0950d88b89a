"""config.edit.update, the read-modify-write every writer of the config file shares (`config set`, the
page's Settings): the file as it is now, only the caller's changes, under the file's lock.

The page saved its whole config from memory, so a value `moodspeaker config set` had written meanwhile
went back to its old value.  Both now change only what they were asked to, onto the file as it is,
one at a time: `config set` run while the page is saving waits for it (seen in /proc/locks, the
kernel's list of held and awaited locks), then applies its own change on top.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from moodspeaker.config import Config, ConfigError, load, with_changes
from moodspeaker.config.edit import update
from polling import until

NOTES = "# my notes\n[player]\nvolume = 0.3  # the baby sleeps next door\n"


def _locks_awaited_by(pid: int) -> bool:
    """/proc/locks lists a lock `pid` waits for ("->" before the lock's kind)."""
    return any(
        line.split()[1] == "->" and line.split()[5] == str(pid)
        for line in Path("/proc/locks").read_text().splitlines()
    )


def test_only_the_changes_go_onto_the_file_as_it_is_now(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(NOTES)
    in_memory = load(path)  # what a page loaded at its start holds
    path.write_text(NOTES.replace("0.3", "0.9"))  # then `config set player.volume=0.9`
    before, after = update(path, lambda now: with_changes(now, {"player.crossfade_s": 2.0}))
    assert before.player.volume == 0.9 and in_memory.player.volume == 0.3
    assert path.read_text() == NOTES.replace("0.3", "0.9") + "crossfade_s = 2.0\n"
    assert after == load(path)


def test_a_refused_change_leaves_the_file_and_nothing_to_change_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(NOTES)
    with pytest.raises(ConfigError):
        update(path, lambda now: with_changes(now, {"player.volume": "loud"}))
    assert path.read_text() == NOTES
    inode = path.stat().st_ino
    update(path, lambda now: now)
    assert path.stat().st_ino == inode  # not even rewritten
    missing = tmp_path / "gone.toml"
    assert update(missing, lambda now: now, missing_ok=True) == (Config(), Config())
    assert not missing.exists()


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="no /proc/locks to see a waiting lock")
def test_config_set_waits_for_a_save_under_way_then_applies_its_change_on_top(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(NOTES)
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy"}
    cli = [sys.executable, "-m", "moodspeaker", "-c", str(path), "config", "set", "player.crossfade_s=5"]
    waited: list[bool] = []

    def page_save(now: Config) -> Config:
        # `config set` starts while this save holds the lock: it must wait, not read the file now
        other = subprocess.Popen(cli, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        until(lambda: _locks_awaited_by(other.pid) or other.poll() is not None, 120, "config set to wait")
        waited.append(other.poll() is None)
        saving.append(other)
        return with_changes(now, {"player.volume": 0.5})

    saving: list[subprocess.Popen[str]] = []
    update(path, page_save)
    (other,) = saving
    _, err = other.communicate(timeout=120)
    assert other.returncode == 0, err
    assert waited == [True]  # it was still waiting for the lock when the page's save went on
    saved = load(path)
    assert saved.player.volume == 0.5 and saved.player.crossfade_s == 5.0  # neither undid the other
    assert path.read_text().startswith("# my notes\n")


@pytest.mark.skipif(shutil.which("flock") is None, reason="util-linux flock is not installed")
def test_the_lock_is_the_folders_flock(tmp_path: Path) -> None:
    """Another program (a provisioning script) can take the same lock: `flock <folder of the file>`."""
    path = tmp_path / "config.toml"
    path.write_text(NOTES)
    probe = ["flock", "--nonblock", "--conflict-exit-code", "9", str(tmp_path), "true"]
    held: list[int] = []

    def probing(now: Config) -> Config:
        held.append(subprocess.run(probe, check=False).returncode)
        return now

    update(path, probing)
    assert held == [9]
    assert subprocess.run(probe, check=False).returncode == 0  # released


def test_the_file_is_parsed_once_per_update(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under its lock `update` parsed the file two or three times: to load it, for what it says as
    written (a file kept working against a rule, config.rules.kept) and for the save to edit.  One
    read now serves all three.  Counted here are the real parser's calls on the file's text (the
    save's check of the text it writes is a parse of the new text, not of the file)."""
    real = tomllib.loads
    parsed: list[str] = []

    def counting(text: str, **kw: Any) -> dict[str, Any]:
        parsed.append(text)
        return real(text, **kw)

    monkeypatch.setattr(tomllib, "loads", counting)
    path = tmp_path / "config.toml"
    path.write_text(NOTES)
    update(path, lambda now: with_changes(now, {"player.crossfade_s": 2.0}))  # a change
    assert parsed.count(NOTES) == 1, f"the file was parsed {parsed.count(NOTES)} times"
    assert load(path).player.crossfade_s == 2.0 and "# the baby sleeps next door" in path.read_text()
    kept = NOTES + '[recommend]\nprofile = "bob"\n'  # taken as listed: an update without a change mends it
    path.write_text(kept)
    parsed.clear()
    before, after = update(path, lambda now: now)
    assert parsed.count(kept) == 1, f"the file was parsed {parsed.count(kept)} times"
    assert before == after and after.recommend.profiles == ("default", "bob")
    assert tomllib.loads(path.read_text())["recommend"]["profiles"] == ["default", "bob"]
