"""A speaker started with `-c link.toml` (a symlink to its config file) takes `config set` through the
link and through the file itself, and a save from its page keeps the link.

Why: a save through the link renamed a regular file over it, so the file the speaker follows (the
one the link points to, config.asked) kept its old values, the command said "the speaker follows
.../config.toml, not this file", and from then on the link was another file.  The real service run
by the runner on the link (followkit), with its page; the real `config set`; the follower's passes
made by the test (`held_follower`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from followkit import held_follower, serving

from moodspeaker.cli import main
from moodspeaker.config import load


def test_config_set_through_the_link_and_the_file_reaches_the_speaker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "etc").mkdir()
    link = tmp_path / "etc" / "config.toml"
    with held_follower() as got, serving(tmp_path, web=True, link=link) as (app, faces, path, _events):
        followed = got[0]
        capsys.readouterr()
        for via, setting, value in ((link, "player.crossfade_s", 2.0), (path, "player.volume", 0.7)):
            assert main(["-c", str(via), "config", "set", f"{setting}={value}"]) == 0
            said = capsys.readouterr()
            assert said.out == f"saved {via}: a running speaker applies it within seconds\n", said
            assert link.is_symlink()
            for _ in range(2):  # the file the same at two looks
                followed.step()
        assert app.config.player.crossfade_s == 2.0 and app.config.player.volume == 0.7
        faces.web.ctx.save_changes({"player.crossfade_s": 4.0})  # the page's Settings
        assert link.is_symlink()
        assert load(path).player.crossfade_s == 4.0 and load(path).player.volume == 0.7
