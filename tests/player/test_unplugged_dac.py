"""A USB DAC unplugged while it plays is noticed: the output is announced lost (Home Assistant's "Audio
output" problem sensor turns on), the track is not recorded as heard to its end, and the DAC is
opened again when it is back, the track resuming on it.

SDL marks an unplugged device disconnected but keeps calling the mixer at real-time pace, so the
chunks moved on and the player's stall check never tripped: the player went on "playing" into
nothing, recorded the silent tracks as heard, and never reopened the DAC.

The DAC here: SDL's ALSA driver on a fake ALSA configuration (~/.asoundrc under a temporary HOME)
whose default device is a `file` PCM writing into a FIFO, read at real-time pace by a reader process
("the DAC"); the test kills that reader mid-track ("unplugged"), and starts another as the loss is
announced ("plugged back").  Real pygame and a real player, in a process of its own: libasound
reads its configuration once per process.  Skipped where ALSA's configuration is missing or SDL's
ALSA driver cannot open the fake device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pygame
import pytest

from moodspeaker.player import device

READER = """
import sys, time
out = open(sys.argv[2], "wb")
fifo = open(sys.argv[1], "rb", buffering=0)
start, got = time.monotonic(), 0
while True:
    block = fifo.read(17640)
    if not block:
        break
    out.write(block)
    out.flush()
    got += len(block)
    time.sleep(max(0.0, start + got / 176400 - time.monotonic()))  # 44.1 kHz, 16-bit stereo
"""

SCENARIO = """
import json, os, subprocess, sys, time
from pathlib import Path
import numpy as np
folder, kit, reader = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
sys.path.insert(0, kit)
from playerkit import Recorder, audio_back, end_events, tone
from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.engine import Player
from moodspeaker.service.events import EventBus, StateChanged, TrackEnded

fifo = folder / "dac.fifo"
def dac(name):
    return subprocess.Popen([sys.executable, "-c", reader, str(fifo), str(folder / name)])

def wait_for(check, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} in {timeout} s")
        time.sleep(0.05)

first_dac = dac("heard1.raw")
bus = EventBus()
rec = Recorder(bus)
replugged = []
lost = lambda e: isinstance(e, StateChanged) and e.key == "audio" and e.value == "lost"
rec.on(lost, lambda: replugged.append(dac("heard2.raw")))  # plugged back as the loss is announced
player = Player(PlayerConfig(crossfade_s=0.0, volume=1.0), bus.publish, retry_s=0.5)
player.start()
try:
    assert player.wait_idle(60)
    if player.status().audio.value != "ok":
        print(json.dumps({"skip": player.status().audio_error}))
        sys.exit(0)
    player.set_queue([tone(folder, "a", 440, 8.0), tone(folder, "b", 550, 8.0)])
    player.play()
    wait_for(lambda: (folder / "heard1.raw").exists() and (folder / "heard1.raw").stat().st_size > 88200,
             "audio at the DAC")
    first_dac.kill()  # unplugged
    first_dac.wait()
    a_ended = lambda e: isinstance(e, TrackEnded) and e.track_id == "a"
    rec.wait(lambda e: lost(e) or a_ended(e))
    said = {"first": "lost" if any(lost(e) for e in rec.events) else "a ended",
            "a_ends_before": [[e.skipped, e.completed] for e in end_events(rec, "a")],
            "error": next((e.message for e in rec.of("error")), "")}
    if said["first"] == "lost":
        audio_back(rec)
        heard2 = folder / "heard2.raw"
        wait_for(lambda: heard2.exists() and heard2.stat().st_size > 88200, "audio at the DAC plugged back")
        samples = np.frombuffer(heard2.read_bytes()[: heard2.stat().st_size // 4 * 4], dtype=np.int16)
        said["peak_after"] = int(np.abs(samples).max())
        said["state_after"] = player.status().state
    print(json.dumps(said))
finally:
    player.close()
    for proc in [first_dac, *replugged]:
        proc.kill()
        proc.wait()
"""


@pytest.mark.timeout(300)
def test_an_unplugged_dac_is_lost_then_reopened(tmp_path: Path) -> None:
    if not Path("/usr/share/alsa/alsa.conf").exists():
        pytest.skip("ALSA's configuration (/usr/share/alsa/alsa.conf) is not installed")
    home = tmp_path / "home"
    home.mkdir()
    fifo = tmp_path / "dac.fifo"
    os.mkfifo(fifo)
    (home / ".asoundrc").write_text(
        f'pcm.!default {{ type file; slave.pcm "null"; file "{fifo}"; format "raw" }}\n'
    )
    env = {k: v for k, v in os.environ.items() if k not in {"AUDIODEV", "ALSA_CONFIG_PATH"}}
    env.update(HOME=str(home), SDL_AUDIODRIVER="alsa", PYGAME_HIDE_SUPPORT_PROMPT="1")
    kit = str(Path(__file__).parent)
    run = subprocess.run(
        [sys.executable, "-c", SCENARIO, str(tmp_path), kit, READER],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    said = json.loads(run.stdout.strip().splitlines()[-1])
    if "skip" in said:
        pytest.skip(f"SDL's ALSA driver cannot open the fake DAC: {said['skip']}")
    assert said["first"] == "lost", said  # before: track a played on into nothing to its end
    assert said["a_ends_before"] == [], said  # not recorded as heard while nothing was heard
    assert "audio device disconnected" in said["error"], said
    assert said["peak_after"] > 1000, said  # the DAC plugged back plays the tone again
    assert said["state_after"] == "playing", said


def test_without_libsdl2_through_ctypes_the_player_opens_as_before(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Where the libSDL2 pygame loaded cannot be found, the watch says so once and stays out of the
    way (an unplugged device is then noticed only by a stalled output); the name goes to SDL as is."""
    monkeypatch.setattr(device, "_sdl", [])
    monkeypatch.setattr(device, "_sdl_candidates", lambda: ["/nonexistent/libSDL2-2.0.so.0"])
    watch = device.DeviceWatch()
    device.open_output("", frequency=44100, buffer=1024)  # SDL's dummy driver (the tests' default)
    try:
        watch.opened()
        assert not watch.gone()
    finally:
        pygame.mixer.quit()
    assert device.choose("hw:1,0") == device.Output("hw:1,0", devicename="hw:1,0")
    assert "cannot find the libSDL2 pygame loaded" in caplog.text
