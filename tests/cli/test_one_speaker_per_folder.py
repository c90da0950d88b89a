"""One speaker per data folder: a second `run` or `demo` on a folder a speaker runs on refuses to start.

Why: nothing stopped two speakers on one data folder (`moodspeaker demo --data-dir X` twice, or `run`
beside another with a second port or --no-web): both started and wrote state.json and the databases
over each other.  `run` and `demo` now hold a lock in the folder while they run (service.datalock);
the second exits 1 naming the folder and the process holding it, before it writes anything there.
Commands that only read the folder (`library stats`, `config show`) still run beside the speaker.
The real speaker in its own process (replay camera, SDL dummy audio), the real CLI for the others.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from moodspeaker.service.datalock import LOCK_FILE, FolderInUseError, hold_data_folder
from polling import until
from replayframes import noise_frames

pytestmark = pytest.mark.timeout(300)

ENV = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
ENV.pop("MOODSPEAKER_CONFIG", None)


def _cli(data: Path, frames: Path, *args: str) -> list[str]:
    settings = {
        "device.data_dir": str(data),
        "camera.type": "replay",
        "camera.replay_path": str(frames),
        "detector.type": "haar",
        "classifier.type": "cpu",
        "library.folders": str(data.parent / "music"),
        "web.zeroconf": "false",
    }
    sets = [part for key, value in settings.items() for part in ("--set", f"{key}={value}")]
    return [sys.executable, "-m", "moodspeaker", *sets, *args]


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    """A replay 'camera': a few plain frames (no face; nothing else matters here)."""
    folder = noise_frames(tmp_path / "frames")
    (tmp_path / "music").mkdir()
    return folder


@pytest.fixture
def first(tmp_path: Path, frames: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The first speaker, running on tmp_path/data (without page or MQTT)."""
    log = (tmp_path / "first.log").open("wb")
    proc = subprocess.Popen(
        _cli(tmp_path / "data", frames, "run", "--no-web", "--no-mqtt"),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=ENV,
    )

    def holds() -> bool:
        assert proc.poll() is None, (tmp_path / "first.log").read_text(errors="replace")[-3000:]
        return (tmp_path / "data" / "state.json").exists()  # running: its housekeeping saved

    try:
        until(holds, 120, what="the first speaker to run")
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        log.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _second(tmp_path: Path, frames: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cli(tmp_path / "data", frames, *args),
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        check=False,
    )


def test_a_second_speaker_on_the_folder_refuses_and_readers_run(
    tmp_path: Path, frames: Path, first: subprocess.Popen[bytes]
) -> None:
    data = tmp_path / "data"
    said = f"another speaker is running on the data folder {data} (process {first.pid})"
    for args in (("run", "--no-web", "--no-mqtt"), ("run", "--port", str(_free_port()), "--no-mqtt")):
        res = _second(tmp_path, frames, *args)
        assert res.returncode == 1, res.stdout + res.stderr
        assert f"moodspeaker run: {said}" in res.stderr, res.stderr
    res = _second(tmp_path, frames, "demo", "--data-dir", str(data), "--no-web", "--replay", "--seconds", "1")
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"moodspeaker demo: {said}" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert not (data / "config.toml").exists()  # refused before the demo wrote its settings
    for reader in (("library", "stats"), ("config", "show")):  # readers take no lock
        res = _second(tmp_path, frames, *reader)
        assert res.returncode == 0, res.stdout + res.stderr
    assert first.poll() is None  # the first speaker runs on
    assert (data / LOCK_FILE).read_text().strip() == str(first.pid)  # whose pid the refusals named
    first.send_signal(signal.SIGTERM)
    assert first.wait(60) == 0
    hold_data_folder(data).close()  # free again once it stopped


def test_the_lock_ends_with_its_holder(tmp_path: Path) -> None:
    """In one process too: the folder is free once the holder closes it, and refused while held."""
    held = hold_data_folder(tmp_path / "data")
    try:
        with pytest.raises(FolderInUseError, match=f"process {os.getpid()}"):
            hold_data_folder(tmp_path / "data").close()
    finally:
        held.close()
    hold_data_folder(tmp_path / "data").close()
