"""The real Appliance with its MQTT bridge on a test's Mosquitto, for the tests that drive the speaker as
Home Assistant would: started, connected, and stopped again when the test is done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from appliancekit import Shown, appliance_config, build_appliance
from brokerkit import Mosquitto
from mqtt_helpers import retained

from moodspeaker.mqtt import MqttBridge
from moodspeaker.service.control import ControlAPI
from polling import until

#: Seconds to wait for a message: generous, because CI machines are busy.
BUSY = 30.0
#: The topic root of the device the tests configure (device id "Living Room").
ROOT = "moodspeaker/living-room"


@contextmanager
def bridged(
    tmp_path: Path, broker: Mosquitto, shown: Shown, web_url: str = "", **extra: Any
) -> Iterator[tuple[Any, MqttBridge]]:
    """The appliance (settings `extra` as for appliance_config) and its bridge, once connected."""
    config = appliance_config(tmp_path, broker.port, device__id="Living Room", **extra)
    app, bus = build_appliance(tmp_path, config, shown)
    bridge = MqttBridge(config, ControlAPI(app, bus), bus, web_url=web_url)
    app.start()
    bridge.start()
    try:
        until(lambda: bridge.connected, BUSY, what="bridge connected")
        # Its stats end the first announcement: by then it is subscribed (connected comes before).
        stats = bridge.topics.stats
        until(lambda: stats in retained(broker.port, stats), BUSY, what="the bridge's announcement")
        yield app, bridge
    finally:
        bridge.stop()
        app.stop()
