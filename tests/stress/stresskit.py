"""Helpers of the stress tests: a real appliance with a scripted face, a real Mosquitto, free ports.

The appliance is the real `Appliance` (player on SDL's dummy driver, real recommender over short
real OGG tracks, state store, feedback database); only the camera and the classifier are replaced by
a scripted stage, as tests/service does, because the stress tests hammer the command surface, not
vision (the privacy and soak runs use the real camera -> detector -> classifier path).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from moodspeaker.config import Config, with_changes
from moodspeaker.library.track import Track
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.events import Event, EventBus
from moodspeaker.vision.pipeline import Observation  # what the real vision stage returns

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
if str(TESTS) not in sys.path:  # child scripts (diskfull_web.py) run with PYTHONPATH=tests/stress only
    sys.path.append(str(TESTS))

import tonetracks  # noqa: E402
from polling import until  # noqa: E402

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
MOSQUITTO = "/usr/sbin/mosquitto"


def numba_cache() -> Path:
    """The tests' shared numba JIT cache (the same place tests/conftest.py points NUMBA_CACHE_DIR at)."""
    # Imported here, not at the top: tests/ is on sys.path under pytest, but the child scripts that
    # import this module (diskfull_web.py, run with PYTHONPATH=tests/stress only) never call this.
    from testcache import numba_cache as shared  # noqa: PLC0415

    return shared()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(pred: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> None:
    """tests/polling.until with the stress kits' default (60 s: they run whole services)."""
    until(pred, timeout, what)


def tone_tracks(folder: Path, n: int = 6, seconds: float = 8.0) -> list[Track]:
    """`n` short real OGG files (`tone<i>.ogg`) with moods spread evenly around the circumplex."""
    songs = []
    for i in range(n):
        v, a = np.cos(2 * np.pi * i / n), np.sin(2 * np.pi * i / n)
        songs.append((f"tone{i}", f"Tone {i}", "Stress", float(v), float(a), 220.0 + 60 * i))
    return tonetracks.tone_tracks(folder, songs, duration_s=seconds)


class ScriptedFace:
    """Camera + vision stand-in: a listener who looks `mood` (None: nobody in view)."""

    def __init__(self, mood: str | None = "happy") -> None:
        self.mood = mood

    def read(self) -> np.ndarray | None:
        return np.zeros((48, 64, 3), np.uint8)

    def close(self) -> None:
        pass

    def step(self, frame: np.ndarray, now: float) -> Observation:
        if self.mood is None:
            return Observation(False, None)
        rest = 0.1 / (len(CLASSES) - 1)
        return Observation(True, {c: 0.9 if c == self.mood else rest for c in CLASSES})


def appliance(tmp: Path, face: ScriptedFace, **changes: object) -> tuple[Appliance, EventBus, Config]:
    settings: dict[str, object] = {
        "device.data_dir": str(tmp / "data"),
        "camera.interval_s": 0.2,
        "mood.min_dwell_s": 0.2,
        "player.crossfade_s": 0.0,
        "recommend.strategy": "match",
        "recommend.queue_length": 3,
    }
    settings.update(changes)
    cfg = with_changes(Config(), settings)
    bus = EventBus()
    rec = Recommender.from_config(cfg, Catalogue(tone_tracks(tmp / "music")))
    parts = Parts(make_source=lambda: face, make_pipeline=lambda: face, recommender=rec)
    return Appliance(cfg, bus, parts, tmp / "data"), bus, cfg


class Recorder:
    """Every event published on a bus, in order."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        self.stop = bus.subscribe(self.events.append)

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


class Mosquitto:
    """A real broker on a free loopback port (no persistence, logs to a file for failures)."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        user = "user root\n" if os.geteuid() == 0 else ""
        self.conf.write_text(
            f"{user}persistence false\nlog_dest file {workdir / 'mosquitto.log'}\n"
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Mosquitto:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stderr=subprocess.DEVNULL)

        def up() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(up, 30, "mosquitto to listen")
        return self

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
            self.proc = None
