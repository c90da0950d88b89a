"""Home Assistant picking a listener while the speaker's profile database is corrupt: the command is
rejected with the reason (not "failed inside the speaker"), the profile state topic keeps the previous
listener, and the speaker goes on obeying.  Real Mosquitto, real Appliance; the database really is
damaged on disk while it runs (see tests/service/test_profile_storage.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from appliancekit import Shown
from bridgekit import BUSY, ROOT, bridged
from brokerkit import Mosquitto
from mqtt_helpers import Watcher

from sqlitefaults import corrupt

pytestmark = pytest.mark.timeout(120)


def test_set_profile_with_a_corrupt_database_is_rejected_with_the_reason(
    tmp_path: Path, broker: Mosquitto, watcher: Watcher
) -> None:
    with bridged(tmp_path, broker, Shown("happy")) as (app, _bridge):
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
