"""`config set` tells a running speaker from a note left by one killed, whatever process has its number now.

Why: the running speaker names the config file it follows in its data folder (config.asked), with
its process id, and marks the note when it stops.  One ended by a kill -9 or a power cut leaves it
unmarked, and `config set` took the speaker for running when a process with that id ran: after a
reboot that id often belongs to another process, so the command said "a running speaker applies it
within seconds" with no speaker at all.  Now a speaker runs when the data folder's lock (held by
`run` for its life, service.datalock) is taken; the id is for the messages only.

A real `moodspeaker run` in its own process (replay camera, SDL dummy audio) killed with SIGKILL;
the real `config set` through the CLI's main.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from moodspeaker.cli import main
from moodspeaker.config.asked import FOLLOWED_FILE, followed_in, say_followed
from moodspeaker.service.datalock import LOCK_FILE, hold_data_folder
from polling import until
from replayframes import noise_frames

pytestmark = pytest.mark.timeout(300)

ENV = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
ENV.pop("MOODSPEAKER_CONFIG", None)


def _config_file(tmp_path: Path) -> Path:
    """A config file for a speaker on tmp_path/data with a replay 'camera' (no face) and no music."""
    (tmp_path / "music").mkdir()
    frames = noise_frames(tmp_path / "frames")
    path = tmp_path / "config.toml"
    path.write_text(
        f'[device]\ndata_dir = "{tmp_path / "data"}"\n'
        f'[camera]\ntype = "replay"\nreplay_path = "{frames}"\n'
        '[detector]\ntype = "haar"\n[classifier]\ntype = "cpu"\n'
        f'[library]\nfolders = ["{tmp_path / "music"}"]\n[web]\nzeroconf = false\n'
    )
    return path


@pytest.fixture
def speaker(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path, Path]]:
    """`moodspeaker -c config.toml run --no-web --no-mqtt` running: (its process, its file, its log)."""
    path, log = _config_file(tmp_path), tmp_path / "speaker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moodspeaker", "-c", str(path), "run", "--no-web", "--no-mqtt"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=ENV,
        )
    try:

        def follows() -> bool:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            found = followed_in(tmp_path / "data")
            return found is not None and found.pid == proc.pid and found.running

        until(follows, 120, what="the speaker to say which file it follows")
        yield proc, path, log
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)


def test_a_note_left_by_a_killed_speaker_is_not_taken_for_a_running_one(
    tmp_path: Path,
    speaker: tuple[subprocess.Popen[bytes], Path, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    proc, path, log = speaker
    data = tmp_path / "data"
    assert main(["-c", str(path), "config", "set", "player.crossfade_s=2"]) == 0
    assert capsys.readouterr().out == f"saved {path}: a running speaker applies it within seconds\n"
    until(
        lambda: "applying player.crossfade_s" in log.read_text(errors="replace"),
        60,
        what="the running speaker to apply player.crossfade_s",
        detail=lambda: log.read_text(errors="replace")[-3000:],
    )

    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    note = json.loads((data / FOLLOWED_FILE).read_text())
    assert note["pid"] == proc.pid and note["stopped"] is False  # killed: it could not say it stopped
    note["pid"] = os.getpid()  # the number now another live process's (after a reboot)
    (data / FOLLOWED_FILE).write_text(json.dumps(note))
    assert main(["-c", str(path), "config", "set", "player.crossfade_s=3"]) == 0
    said = f"saved {path}: no speaker runs on its data folder {data} now; one started with it takes it\n"
    assert capsys.readouterr().out == said
    hold_data_folder(data).close()  # the look let go of the lock: a speaker can start


def test_a_folder_without_its_lock_file_has_no_speaker_and_gets_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A note in a folder no speaker locked since (one from before the lock, a copied folder): no
    speaker runs, and looking makes no lock file there; the lock held, one runs."""
    path, data = _config_file(tmp_path), tmp_path / "data"
    data.mkdir()
    say_followed(data, path)  # this live process's id
    assert main(["-c", str(path), "config", "set", "player.crossfade_s=2"]) == 0
    assert "no speaker runs on its data folder" in capsys.readouterr().out
    assert not (data / LOCK_FILE).exists()
    with hold_data_folder(data):
        assert main(["-c", str(path), "config", "set", "player.crossfade_s=3"]) == 0
        assert capsys.readouterr().out == f"saved {path}: a running speaker applies it within seconds\n"
