"""Shared by the tests that run `moodspeaker demo`: a free loopback port, the demo's own data folder
for a demo run in this process (skipped while no expression model is shipped; SDL's dummy audio), and
the demo run as a newcomer starts it, a subprocess (`run_demo`)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from moodspeaker.vision.expression import default_model_json

ROOT = Path(__file__).resolve().parents[1]
PLAYING = "demo: playing"
PAGE_SAID = "web page: http://127.0.0.1:{port}/"


def free_port() -> int:
    """A loopback TCP port nothing listens on (bound, read and released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _need_model() -> None:
    if not default_model_json().is_file():
        pytest.skip(f"no expression model shipped yet ({default_model_json()})")


def demo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo's data folder `tmp_path/demo`, made; returns its settings file's path (not written)."""
    _need_model()
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")
    folder = tmp_path / "demo"
    folder.mkdir()
    return folder / "config.toml"


@dataclass
class Demo:
    """A `moodspeaker demo --replay` subprocess: its page's port, the MQTT port nothing answers at,
    its data folder, the lines it printed so far (once it is stopped, the rest of its output is the
    last item)."""

    proc: subprocess.Popen[str]
    port: int
    mqtt_port: int
    folder: Path
    cmd: list[str]  # the command without --port (run `again` with it)
    env: dict[str, str]
    lines: list[str] = field(default_factory=list)

    @property
    def said(self) -> str:
        return "".join(self.lines)

    def again(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        """The demo's command run once more with `args` added (e.g. `--seconds 0.1 --no-web`), to its
        end; asserts it ended cleanly."""
        done = subprocess.run(
            [*self.cmd, *args], check=False, capture_output=True, text=True, env=self.env, cwd=ROOT,
            timeout=timeout,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done


@contextmanager
def run_demo(
    tmp_path: Path, *args: str, ready: Sequence[str] = (PLAYING,), wait_s: float = 420.0
) -> Iterator[Demo]:
    """`python -m moodspeaker demo --replay --data-dir tmp_path/demo --port P --mqtt-host 127.0.0.1
    --mqtt-port Q *args` in the checkout, as a newcomer runs it (HOME is tmp_path; nothing listens on
    Q: MQTT off; SDL's dummy audio; skipped while no expression model is shipped).  Yields once a line
    it prints holds one of `ready` (`{port}` in them is P; PAGE_SAID: its page answers) within
    `wait_s` (the first analysis compiles librosa's numba kernels: about a minute on a cold cache);
    fails if it ends before.  On leaving, SIGTERM, its output read to the end into `lines`, and, when
    the body passed, asserts that it stopped cleanly (exit status 0)."""
    _need_model()
    folder = tmp_path / "demo"
    port, mqtt_port = free_port(), free_port()
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYTHONUNBUFFERED": "1", "HOME": str(tmp_path)}
    env.pop("MOODSPEAKER_CONFIG", None)
    cmd = [sys.executable, "-m", "moodspeaker", "demo", "--replay", "--data-dir", str(folder),
           "--mqtt-host", "127.0.0.1", "--mqtt-port", str(mqtt_port), *args]  # fmt: skip
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )
    demo = Demo(proc, port, mqtt_port, folder, cmd, env)
    marks = [mark.format(port=port) for mark in ready]
    deadline = time.monotonic() + wait_s
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            demo.lines.append(line)
            if any(mark in line for mark in marks):
                break
            assert time.monotonic() < deadline, f"no {marks} within {wait_s} s:\n{demo.said}"
        else:
            pytest.fail(f"the demo ended before it said any of {marks}:\n{demo.said}")
        yield demo
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)  # generous: an orderly stop on a loaded machine
        demo.lines.append(out)
    assert proc.returncode == 0, demo.said
