"""One-off broker chores run from the command line, without the service: removing a speaker.

Removing a device is the documented Home Assistant way: an empty retained message on its discovery
topic makes HA delete the device and its entities; empty retained messages on the speaker's own
retained topics clear them from the broker so nothing stale is shown to a new subscriber.

Only what the broker holds is cleared: the command first subscribes to the speaker's discovery topic and
its topics (`<base>/<device>/#`), collects the retained messages the broker replays, and knows it has
them all when a probe it publishes afterwards (not retained, under the same topics) comes back: the
broker sends a subscription's retained messages before anything published after the subscription.
"""

from __future__ import annotations

import threading
import uuid

from moodspeaker.config.schema import Config
from moodspeaker.mqtt.client import Connection, ConnectionSettings
from moodspeaker.mqtt.identity import device_id_of
from moodspeaker.mqtt.topics import Topics, check_device_id


def forget_device(config: Config, device_id: str | None = None, timeout: float = 10.0) -> list[str]:
    """Clear the discovery and retained topics the broker holds for one speaker; returns those cleared
    (the discovery topic first when it was there; empty when the broker held nothing of it).

    Raises TimeoutError when the broker cannot be reached, does not echo the probe (a subscription or
    publish the broker's ACL refused) or does not confirm the removal within `timeout` seconds.  If the
    speaker's service is still running it announces itself again at its next connect, so stop it first.
    """
    settings = ConnectionSettings.from_config(config.mqtt)
    device = check_device_id(device_id) if device_id else device_id_of(config)
    topics = Topics(config.mqtt.base_topic, device, config.mqtt.discovery_prefix)
    probe = f"{topics.root}/forget-probe/{uuid.uuid4().hex}"
    connected, synced = threading.Event(), threading.Event()
    lock = threading.Lock()
    held: dict[str, None] = {}  # retained topics with a value, in the order the broker sent them

    def on_message(topic: str, payload: bytes, retained: bool) -> None:
        if topic == probe:
            synced.set()
        elif retained and payload:
            with lock:
                held[topic] = None

    conn = Connection(
        settings,
        client_id=f"moodspeaker-{device}-admin",
        will_topic=None,
        subscriptions=[topics.discovery, f"{topics.root}/#"],
        on_connected=connected.set,
        on_message=on_message,
    )
    conn.start()
    try:
        if not connected.wait(timeout):
            detail = conn.stats()["last_error"] or "no answer"
            raise TimeoutError(
                f"could not connect to {settings.host}:{settings.port} in {timeout:g} s ({detail})"
            )
        conn.resend()  # nothing to re-send: lets the probe go out at once
        conn.publish(probe, b"probe", retain=False)
        if not synced.wait(timeout):
            raise TimeoutError(
                f"could not read what the broker retains under {topics.root}/ in {timeout:g} s (the probe "
                f"{probe} did not come back: may this client subscribe and publish there?)"
            )
        with lock:
            cleared = sorted(held, key=lambda topic: topic != topics.discovery)
        if cleared and not conn.stop(last=[(topic, b"") for topic in cleared], timeout=timeout):
            detail = conn.stats()["last_error"] or "no acknowledgement"
            raise TimeoutError(f"the broker did not confirm the removal in {timeout:g} s ({detail})")
        return cleared
    finally:
        conn.stop()
