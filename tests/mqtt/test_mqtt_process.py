"""The real service in its own process (`moodspeaker run`, replay camera, SDL dummy audio) on a real
Mosquitto: online on start, `offline` from the last will when the process is killed with SIGKILL, online
again (with its saved state) after a restart, everything re-announced after a broker restart, `offline`
on a clean SIGTERM shutdown.
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
from brokerkit import Mosquitto
from mqtt_helpers import Watcher, retained

from moodspeaker.config.schema import PlayerConfig
from polling import until
from replayframes import noise_frames

ROOT = "moodspeaker/hall"


def _model_ready() -> str:
    try:
        from moodspeaker.vision.expression import default_model_json  # noqa: PLC0415

        path = default_model_json()
    except Exception as exc:  # the vision package or its model is not there
        return f"the service cannot start here: {exc}"
    return "" if Path(path).is_file() else f"no shipped expression model at {path}"


@pytest.fixture
def frames(tmp_path: Path) -> Path:
    """A replay 'camera': a few plain frames (no face: the mood stays unknown, nothing else matters)."""
    return noise_frames(tmp_path / "frames")


@pytest.fixture
def service(tmp_path: Path, broker: Mosquitto, frames: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    reason = _model_ready()
    if reason:
        pytest.skip(reason)
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait(10)


def _start(tmp_path: Path, port: int, frames: Path) -> subprocess.Popen[bytes]:
    settings = {
        "device.id": "hall",
        "device.data_dir": str(tmp_path / "data"),
        "camera.type": "replay",
        "camera.replay_path": str(frames),
        "camera.interval_s": 0.5,
        "detector.type": "haar",
        "classifier.type": "cpu",
        "library.folders": str(tmp_path / "music"),
        "mqtt.enabled": "true",
        "mqtt.host": "127.0.0.1",
        "mqtt.port": str(port),
        "mqtt.reconnect_max_s": "1",
        "web.enabled": "false",
        "web.zeroconf": "false",
    }
    args = [sys.executable, "-m", "moodspeaker"]
    for key, value in settings.items():
        args += ["--set", f"{key}={value}"]
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    env.pop("MOODSPEAKER_CONFIG", None)
    log = (tmp_path / "service.log").open("ab")
    return subprocess.Popen([*args, "run", "--no-web"], stdout=log, stderr=subprocess.STDOUT, env=env)


def _log(tmp_path: Path) -> str:
    path = tmp_path / "service.log"
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def test_availability_follows_the_service_process(
    service: list[subprocess.Popen[bytes]], tmp_path: Path, broker: Mosquitto, watcher: Watcher, frames: Path
) -> None:
    (tmp_path / "music").mkdir()
    proc = _start(tmp_path, broker.port, frames)
    service.append(proc)
    try:
        watcher.wait_for(f"{ROOT}/availability", lambda m: m.payload == b"online", timeout=60)
        config = watcher.wait_for("homeassistant/device/hall/config", timeout=60)
        assert json.loads(config.payload)["cmps"]["mood"]["options"]
        watcher.publish(f"{ROOT}/set_volume/set", '{"volume": 0.2}')
        watcher.wait_for(f"{ROOT}/state/volume", lambda m: m.json()["value"] == 0.2)
        watcher.publish(f"{ROOT}/set_volume/set", '{"volume": "loud"}')
        watcher.wait_for(f"{ROOT}/event/command_rejected")

        proc.send_signal(signal.SIGKILL)  # the appliance dies: the broker publishes its last will
        proc.wait(10)
        watcher.wait_for(f"{ROOT}/availability", lambda m: m.payload == b"offline", timeout=60)

        watcher.clear()
        proc = _start(tmp_path, broker.port, frames)
        service.append(proc)
        watcher.wait_for(f"{ROOT}/availability", lambda m: m.payload == b"online", timeout=60)
        volume = watcher.wait_for(f"{ROOT}/state/volume", timeout=60)
        assert volume.json()["value"] == PlayerConfig().volume  # a start plays at player.volume (its default)
        watcher.publish(f"{ROOT}/set_volume/set", '{"volume": 0.3}')
        watcher.wait_for(f"{ROOT}/state/volume", lambda m: m.json()["value"] == 0.3)

        broker.restart()  # the broker restarts with nothing retained: the service re-announces itself
        # `online` goes out first, then the discovery and the state: wait for all three
        wanted = (f"{ROOT}/availability", "homeassistant/device/hall/config", f"{ROOT}/state/volume")

        def reannounced() -> dict[str, bytes] | None:
            found = retained(broker.port, "#")
            return found if all(topic in found for topic in wanted) else None

        found = until(reannounced, 60, what="the service re-announced to the restarted broker")
        assert found[f"{ROOT}/availability"] == b"online"
        assert json.loads(found[f"{ROOT}/state/volume"])["value"] == 0.3  # this run's volume

        proc.send_signal(signal.SIGTERM)  # clean shutdown: no will, so the bridge says offline itself
        assert proc.wait(30) == 0
        watcher.wait_for(f"{ROOT}/availability", lambda m: m.payload == b"offline", timeout=60)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- service log ---\n{_log(tmp_path)}") from None
