"""`moodspeaker config ...` as an installer uses it: what lands in the file, who owns it, and messages
that say where a misplaced setting belongs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config import load

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
