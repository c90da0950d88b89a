"""`moodspeaker demo` as a newcomer runs it: a subprocess on this machine (no camera, TPU or speaker),
its page answering on the chosen port, MQTT off with a one-line notice, tracks logged as "playing",
and a clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from moodspeaker.vision.expression import default_model_json
from moodspeaker_web.setup_code import read_setup_code

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_demo_runs_serves_the_page_plays_and_stops_on_sigterm(tmp_path: Path) -> None:
    if not default_model_json().is_file():
        pytest.skip(f"no expression model shipped yet ({default_model_json()})")
    port, mqtt_port = _free_port(), _free_port()  # nothing listens on mqtt_port
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYTHONUNBUFFERED": "1", "HOME": str(tmp_path)}
    cmd = [sys.executable, "-m", "moodspeaker", "demo", "--replay", "--data-dir", str(tmp_path / "demo"),
           "--port", str(port), "--mqtt-host", "127.0.0.1", "--mqtt-port", str(mqtt_port)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    lines: list[str] = []
    # the first analysis compiles librosa's numba kernels: about a minute on a cold cache, idle
    deadline = time.monotonic() + 420
    try:
        for line in proc.stdout:
            lines.append(line)
            if "playing" in line and "demo: playing" in line:
                break
            assert time.monotonic() < deadline, "".join(lines)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            assert response.status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)  # generous: an orderly stop on a loaded machine
    text = "".join(lines) + out
    assert proc.returncode == 0, text
    assert "demo: audio:" in text and "demo: camera: " in text and "replaying a public-domain face" in text
    assert "generated clips" in text or "soundtrack" in text
    assert f"MQTT: no broker answers at 127.0.0.1:{mqtt_port}; MQTT is off" in text
    assert f"web page: http://127.0.0.1:{port}/" in text
    assert "SIGTERM: shutting down" in text and "demo: stopped" in text
    # the code the demo's page accepts, and the command that shows it again (plain `moodspeaker
    # setup-code` reads the configured data folder, not the demo's)
    code = read_setup_code(tmp_path / "demo")
    assert code is not None and f"demo: page setup code: {code}" in text
    assert f"--set device.data_dir={tmp_path / 'demo'} setup-code" in text
    # as the command can be typed here (util.program: `moodspeaker`, or `<python> -m moodspeaker` when it
    # is not on PATH, as in this test)
    commands = next(line for line in text.splitlines() if "other commands on the demo's data: " in line)
    assert f"moodspeaker -c {tmp_path / 'demo' / 'config.toml'} " in commands, commands
    assert not list((tmp_path / "demo").rglob("*.png")) and not list((tmp_path / "demo").rglob("*.jpg"))
