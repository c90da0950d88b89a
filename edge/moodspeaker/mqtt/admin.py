"""One-off broker chores run from the command line, without the service: removing a speaker.

Removing a device is the documented Home Assistant way: an empty retained message on its discovery
topic makes HA delete the device and its entities; empty retained messages on the speaker's own
retained topics clear them from the broker so nothing stale is shown to a new subscriber.
"""

from __future__ import annotations

import threading

from moodspeaker.config.schema import Config
from moodspeaker.mqtt.client import Connection, ConnectionSettings
from moodspeaker.mqtt.identity import device_id_of
from moodspeaker.mqtt.topics import Topics, check_device_id


def forget_device(config: Config, device_id: str | None = None, timeout: float = 10.0) -> list[str]:
    """Clear the discovery and retained topics of one speaker; returns the topics cleared.

    Raises TimeoutError when the broker cannot be reached within `timeout` seconds.  If the speaker's
    service is still running it announces itself again at its next connect, so stop it first.
    """
    settings = ConnectionSettings.from_config(config.mqtt)
    device = check_device_id(device_id) if device_id else device_id_of(config)
    topics = Topics(config.mqtt.base_topic, device, config.mqtt.discovery_prefix)
    connected = threading.Event()
    conn = Connection(
        settings,
        client_id=f"moodspeaker-{device}-admin",
        will_topic=None,
        subscriptions=[],
        on_connected=connected.set,
        on_message=lambda topic, payload, retained: None,
    )
    conn.start()
    try:
        if not connected.wait(timeout):
            detail = conn.stats()["last_error"] or "no answer"
            raise TimeoutError(
                f"could not connect to {settings.host}:{settings.port} in {timeout:g} s ({detail})"
            )
        cleared = [topics.discovery, *topics.retained_topics()]
        if not conn.stop(last=[(topic, b"") for topic in cleared], timeout=timeout):
            detail = conn.stats()["last_error"] or "no acknowledgement"
            raise TimeoutError(f"the broker did not confirm the removal in {timeout:g} s ({detail})")
        return cleared
    finally:
        conn.stop()
