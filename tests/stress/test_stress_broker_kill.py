"""The MQTT broker killed (kill -9) and restarted mid-run under the real service (`moodspeaker run` in
its own process): the service runs on, re-announces everything to the empty broker, obeys commands.

Bounded: generous timeouts; nothing asserts a duration.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from stresskit import Mosquitto, wait_for

from moodspeaker.config import Config, save, with_changes
from moodspeaker.demo.faces import FACES_DIR


@pytest.mark.timeout(240)
def test_broker_killed_and_restarted_mid_run(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path).start()
    data = tmp_path / "data"
    config = tmp_path / "config.toml"
    save(
        with_changes(
            Config(),
            {
                "device.id": "faults",
                "device.data_dir": str(data),
                "camera.type": "replay",
                "camera.replay_path": str(FACES_DIR / "astronaut.jpg"),
                "camera.replay_loop": True,
                "camera.interval_s": 0.3,
                "mqtt.enabled": True,
                "mqtt.host": "127.0.0.1",
                "mqtt.port": broker.port,
                "mqtt.reconnect_max_s": 2.0,
                "web.zeroconf": False,
            },
        ),
        config,
    )
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "HOME": str(tmp_path)}
    log = (tmp_path / "service.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moodspeaker", "-c", str(config), "run", "--no-web"],
        stdout=log,
        stderr=log,
        env=env,
    )
    root = "moodspeaker/faults"
    seen: dict[str, bytes] = {}

    def watcher() -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"faults-watch-{time.monotonic_ns()}")
        client.on_connect = lambda c, *a: c.subscribe(f"{root}/#")
        client.on_message = lambda c, u, m: seen.__setitem__(m.topic, bytes(m.payload))
        client.connect("127.0.0.1", broker.port)
        client.loop_start()
        return client

    try:
        w = watcher()
        wait_for(lambda: seen.get(f"{root}/availability") == b"online", 90, "the service online")
        wait_for(lambda: f"{root}/state/mood" in seen, 60, "the mood state")
        w.loop_stop()
        broker.kill()  # kill -9: no clean disconnect, no will delivered by a dying broker
        time.sleep(4.0)  # the service runs on without a broker (commands, state in memory)
        assert proc.poll() is None, "the service died with the broker"
        seen.clear()
        broker.start()  # same port, empty broker (no persistence): everything must be re-announced
        w = watcher()
        wait_for(lambda: seen.get(f"{root}/availability") == b"online", 60, "online again after the restart")
        wait_for(
            lambda: f"{root}/state/mood" in seen and f"{root}/state/volume" in seen, 60, "state re-published"
        )
        cmd = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="faults-cmd")
        cmd.connect("127.0.0.1", broker.port)
        cmd.loop_start()
        cmd.publish(f"{root}/set_volume/set", b"0.25", qos=1)
        wait_for(
            lambda: json.loads(seen.get(f"{root}/state/volume", b"{}")).get("value") == 0.25,
            30,
            "a command obeyed after the restart",
        )
        cmd.loop_stop()
        w.loop_stop()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)  # an orderly stop on a loaded machine (a kill after it fails the exit code)
        except subprocess.TimeoutExpired:
            proc.kill()
        broker.stop()
        log.close()
    assert proc.returncode == 0, (tmp_path / "service.log").read_text()[-3000:]
