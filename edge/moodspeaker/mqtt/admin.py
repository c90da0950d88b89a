"""One-off broker chores run from the command line, without the service: removing a speaker, and
blanking what it told about its listener (`moodspeaker privacy delete-everything` while it is stopped).

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
import time
import uuid

from moodspeaker.config.schema import Config
from moodspeaker.mqtt.client import Connection, ConnectionSettings
from moodspeaker.mqtt.identity import device_id_of
from moodspeaker.mqtt.state_feed import PERSONAL_KEYS, stopped_messages
from moodspeaker.mqtt.topics import Topics, check_device_id


def forget_device(config: Config, device_id: str | None = None, timeout: float = 10.0) -> list[str]:
    """Clear the discovery and retained topics the broker holds for one speaker; returns those cleared
    (the discovery topic first when it was there; empty when the broker held nothing of it).

    Raises TimeoutError when the broker cannot be reached, does not echo the probe (a subscription or
    publish the broker's ACL refused) or does not confirm the removal within `timeout` seconds.  If the
    speaker's service is still running it announces itself again at its next connect, so stop it first.
    """
    device = check_device_id(device_id) if device_id else device_id_of(config)
    topics = Topics(config.mqtt.base_topic, device, config.mqtt.discovery_prefix)
    conn, held = _held(config, topics, [topics.discovery, f"{topics.root}/#"], timeout)
    try:
        cleared = sorted(held, key=lambda topic: topic != topics.discovery)
        _last(conn, [(topic, b"") for topic in cleared], timeout, "removal")
        return cleared
    finally:
        conn.stop()


def blank_personal(config: Config, timeout: float = 10.0) -> list[str]:
    """Blank this speaker's retained topics that tell about the listener (the last mood, what was asked,
    the track and its reason, the profile: state_feed.PERSONAL_KEYS) as its clean stop does; for a
    deletion made while it does not run.  Only those the broker holds; returns them.

    Raises TimeoutError as `forget_device` does.  A running speaker publishes them again: stop it first.
    """
    topics = Topics(config.mqtt.base_topic, device_id_of(config), config.mqtt.discovery_prefix)
    conn, held = _held(config, topics, [topics.state(key) for key in PERSONAL_KEYS], timeout)
    try:
        blanks = [(t, body) for t, body in stopped_messages(topics, time.time()) if t in held]
        _last(conn, blanks, timeout, "blanks")
        return [topic for topic, _ in blanks]
    finally:
        conn.stop()


def _held(config: Config, topics: Topics, filters: list[str], timeout: float) -> tuple[Connection, list[str]]:
    """A connection subscribed to `filters` and the retained topics with a value the broker holds under
    them, in the order it sent them; the caller stops the connection."""
    settings = ConnectionSettings.from_config(config.mqtt)
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
        client_id=f"moodspeaker-{topics.device_id}-admin",
        will_topic=None,
        subscriptions=[*filters, probe],
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
    except BaseException:
        conn.stop()
        raise
    with lock:
        return conn, list(held)


def _last(conn: Connection, messages: list[tuple[str, bytes]], timeout: float, what: str) -> None:
    """Send `messages` retained and disconnect; TimeoutError when the broker did not confirm them."""
    if messages and not conn.stop(last=messages, timeout=timeout):
        detail = conn.stats()["last_error"] or "no acknowledgement"
        raise TimeoutError(f"the broker did not confirm the {what} in {timeout:g} s ({detail})")
