"""Home Assistant picking a listener while the speaker's profile database is corrupt: the command is
rejected with the reason (not "failed inside the speaker"), the profile state topic keeps the previous
listener, and the speaker goes on obeying.  Real Mosquitto, real Appliance; the database really is
damaged on disk while it runs (see tests/service/test_profile_storage.py)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mqtt_helpers import Mosquitto, Shown, Watcher, appliance_config, build_appliance

from moodspeaker.mqtt import MqttBridge
from moodspeaker.service.control import ControlAPI

BUSY = 30.0
ROOT = "moodspeaker/living-room"

pytestmark = pytest.mark.timeout(120)


def until(pred: Callable[[], Any], timeout: float = BUSY, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def corrupt(db: Path) -> None:
    """Checkpoint everything into the main file (the service's page cache is invalidated), then
    overwrite the file with garbage, as a failing SD card would return it."""
    other = sqlite3.connect(db)
    other.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('touched', '1')")
    other.commit()
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    other.close()
    with db.open("r+b") as f:
        f.write(os.urandom(db.stat().st_size))


def test_set_profile_with_a_corrupt_database_is_rejected_with_the_reason(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    config = appliance_config(tmp_path, broker.port, device__id="Living Room")
    app, bus = build_appliance(tmp_path, config, Shown("happy"))
    bridge = MqttBridge(config, ControlAPI(app, bus), bus)
    app.start()
    bridge.start()
    try:
        until(lambda: bridge.connected, what="bridge connected")
        watcher.wait_for(f"{ROOT}/state/profile", lambda m: m.json()["value"] == "default", BUSY)
        corrupt(tmp_path / "data" / "recommend.sqlite")
        watcher.publish(f"{ROOT}/set_profile/set", '{"profile": "alex"}')  # what HA's select sends
        refused = watcher.wait_for(f"{ROOT}/event/command_rejected", timeout=BUSY).json()
        assert refused["command"] == "set_profile"
        assert refused["error"] == (
            "set_profile: the listener profiles cannot be read: storage error (file is not a database)"
        )
        watcher.publish(f"{ROOT}/set_volume/set", "0.25")  # the speaker still obeys
        watcher.wait_for(f"{ROOT}/state/volume", lambda m: m.json()["value"] == 0.25, BUSY)
        assert app.state()["profile"] == "default"
        assert all(m.json()["value"] == "default" for m in watcher.on(f"{ROOT}/state/profile"))
        assert len(watcher.on(f"{ROOT}/event/command_rejected")) == 1
    finally:
        bridge.stop()
        app.stop()
