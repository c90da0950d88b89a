"""A real hung decoder for the player's watchdog tests: an `ffmpeg` on PATH that never writes.

decode.py finds ffmpeg on PATH; these scripts stand in for it, as a corrupt or hostile file that
sends ffmpeg into a loop without output would: the player thread's read blocks for real.  Every
process they start writes its id to a file, so the test ends them by id.  `Clock`: the monotonic
clock of the player's watchdog, moved only by the test.  `hostile_item`, `hang_the_player` and
`give_up`: a running service's player hung for good on a track, its watcher ticked by the test.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from polling import until

if TYPE_CHECKING:
    from moodspeaker.player.engine import Player
    from moodspeaker.player.hang import PlayerWatch

#: ffmpeg stuck in a loop without output (itself: killing it frees the read)
HANGS = '#!/bin/sh\necho $$ >> "$HUNG_PIDS"\nexec sleep 1000000\n'
#: ...and a process of another session holding its output open: killing ffmpeg's group leaves the
#: read blocked (what a read stuck in C code stands for: a thread no recovery can free).  The helper
#: writes its id once it is in its own session, so `started(2)` means a kill of ffmpeg's group can no
#: longer reach it (written by the shell right after `&`, a kill could come before its setsid)
HANGS_FOR_GOOD = (
    "#!/bin/sh\nsetsid sh -c 'echo $$ >> \"$HUNG_PIDS\"; exec sleep 1000000' &\n"
    'echo $$ >> "$HUNG_PIDS"\nexec sleep 1000000\n'
)


class Clock:
    """A monotonic clock that moves only when the test says."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class HungFfmpeg:
    """The fake ffmpeg put first on PATH, and the processes it started."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
        folder.mkdir()
        binary = folder / "ffmpeg"
        binary.write_text(script)
        binary.chmod(0o755)
        self.pid_file = folder / "pids"
        monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("HUNG_PIDS", str(self.pid_file))

    def pids(self) -> list[int]:
        if not self.pid_file.exists():
            return []
        return [int(line) for line in self.pid_file.read_text().split()]

    def started(self, count: int) -> bool:
        """Whether the script has started (and written the ids of) `count` processes."""
        return len(self.pids()) >= count

    def kill_all(self) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def ffmpeg_gone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """No ffmpeg on PATH from now on (PATH an empty folder under `tmp_path`), as on a speaker whose
    ffmpeg is removed for a while; the returned call brings the PATH before back (ffmpeg back)."""
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", str(tmp_path / "no-ffmpeg-here"))
    return lambda: monkeypatch.setenv("PATH", path)


def alive(pid: int) -> bool:
    """Whether process `pid` still runs (a zombie, ended but not reaped, counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def hostile_aac(path: Path, seconds: float = 8.0) -> Path:
    """A raw AAC (ADTS) stream `seconds` long at 32 kHz whose frames hold no audio: libsndfile cannot
    open it, so the analysis hands it to ffmpeg (the hung one)."""
    frame = bytes([0xFF, 0xF1, 0x54, 0x80, 0x05, 0x1F, 0xFC]) + bytes(33)  # LC, 32 kHz, stereo, 40 bytes
    path.write_bytes(frame * round(seconds * 32000 / 1024))
    return path


def not_audio(path: Path) -> Path:
    """A file libsndfile cannot open, so the player hands it to ffmpeg (as an M4A)."""
    path.write_bytes(b"\x00\x00\x00\x20ftypM4A " + bytes(4000))
    return path


def hostile_item(folder: Path) -> QueueItem:
    """The queue item of track "hostile" (X - Hostile), whose file (`not_audio`, written into
    `folder`) the player hands to ffmpeg."""
    hostile = Track(
        id="hostile", location=str(not_audio(folder / "hostile.m4a")), title="Hostile", artist="X"
    )
    return QueueItem(hostile, "test")


def hang_the_player(player: Player, hung: QueueItem, ffmpeg: HungFfmpeg) -> None:
    """The playing `player` switched to `hung` (its decoder `ffmpeg`): returns once the player thread
    reads the decoder that never answers and ffmpeg's helper is out of reach of a kill (HANGS_FOR_GOOD).
    The watcher is stopped first: the test ticks it (`give_up`)."""
    watch = player.watch
    watch.stop()
    status = player.status
    until(lambda: status().state == "playing" and status().current, what="the music to play")
    player.switch_to(hung)  # while playing: opened and read in the same turn of the player
    until(
        lambda: (call := watch.doing()) is not None and call.item is hung and call.decoder is not None,
        what="the player thread to read the hung decoder",
    )
    until(lambda: ffmpeg.started(2), what="the fake ffmpeg's helper to leave its group")


def give_up(watch: PlayerWatch) -> int:
    """The watcher ticked on a clock the test moves (half a second a tick, up to 200 s) until it has
    tripped twice on the hang (a kill, then giving up); returns how many times it tripped."""
    now, tripped = time.monotonic(), 0
    for _ in range(400):
        now += 0.5
        tripped += watch.watchdog.check(now)
        if tripped == 2:
            break
    return tripped
