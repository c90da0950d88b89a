"""`moodspeaker config ...` as an installer uses it: what lands in the file, who owns it, and messages
that say where a misplaced setting belongs."""

from __future__ import annotations

from pathlib import Path

from moodspeaker.cli import main
from moodspeaker.config import load


def test_config_set_does_not_save_one_run_overrides(tmp_path: Path) -> None:
    """`--set` is for one run: `--set player.volume=0.9 config set web.port=8081` saves only the port."""
    path = tmp_path / "config.toml"
    path.write_text("[player]\nvolume = 0.4\n")
    assert main(["-c", str(path), "--set", "player.volume=0.9", "config", "set", "web.port=8081"]) == 0
    saved = load(path)
    assert saved.web.port == 8081
    assert saved.player.volume == 0.4
