"""`config set` reaches the speaker that follows the file it set, and says so when none does.

`config set` left its request (config.asked) in the data folder of the config it was given, and the
speaker running on that folder applied *its own* file's values of the settings named: `config set -c
other.toml recommend.queue_length=6`, other.toml naming the same data folder, put the running file's
4 in place of the 3 set for this run (and a `camera.enabled` so asked switches the camera as the
running file says, whatever Home Assistant did), and it said "a running speaker applies it within
seconds" though that speaker never reads other.toml.  A data folder no speaker runs on got the same
sentence.  Now a request names its file and only the speaker following that file applies it; the
running speaker says which file it follows, so the command says whose it is.

The real service run by the runner on tmp_path/config.toml (followkit), the real command; the
follower's passes are made by the test (`held_follower`), so "nothing was applied" is a pass made.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from followkit import held_follower, serving

from moodspeaker.cli import main
from moodspeaker.config import load, save, with_changes
from moodspeaker.config.asked import ask


def test_config_set_of_another_file_is_not_taken_by_the_running_speaker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with held_follower() as got, serving(tmp_path, web=False) as (app, _faces, path, _events):
        followed = got[0]
        other = tmp_path / "other.toml"  # another file naming the same data folder
        save(load(path), other)
        assert app.config.recommend.queue_length == 3  # a one-run override: its file says 4
        capsys.readouterr()
        assert main(["-c", str(other), "config", "set", "recommend.queue_length=6"]) == 0
        said = capsys.readouterr()
        assert said.out == f"saved {other}\n", said.out
        assert f"follows {path.resolve()}, not this file: it takes none of this" in said.err, said.err
        assert f"--config {path.resolve()} config set" in said.err  # how to reach it
        ask(path.parent / "data", other, ["recommend.queue_length"])  # as a `config set` from before this
        for _ in range(3):
            followed.step()
        assert app.config.recommend.queue_length == 3  # its own file's 4 was not applied

        assert main(["-c", str(path), "config", "set", "camera.enabled=false"]) == 0  # its own file
        assert "a running speaker applies it within seconds" in capsys.readouterr().out
        for _ in range(2):
            followed.step()
        assert load(path).camera.enabled is False and app.stage.enabled is False
    assert main(["-c", str(path), "config", "set", "player.crossfade_s=2"]) == 0
    assert f"no speaker runs on its data folder {tmp_path / 'data'} now" in capsys.readouterr().out


def test_config_set_of_a_file_on_a_folder_no_speaker_runs_on_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(tmp_path, web=False) as (_app, _faces, path, _events):
        elsewhere = tmp_path / "elsewhere.toml"
        save(with_changes(load(path), {"device.data_dir": str(tmp_path / "elsewhere")}), elsewhere)
        capsys.readouterr()
        assert main(["-c", str(elsewhere), "config", "set", "player.crossfade_s=2"]) == 0
        said = f"saved {elsewhere}: no speaker runs on its data folder {tmp_path / 'elsewhere'} now; "
        assert capsys.readouterr().out == said + "one started with it takes it\n"
