"""The [mqtt] settings the broker connection needs, checked as a whole when the bridge is made, and
the paho client they make.

Their own module so that client.py stays about the connection; both names are still importable from
moodspeaker.mqtt.client, where callers have always found them.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from moodspeaker.config.schema import MqttConfig


class MqttSetupError(ValueError):
    """The [mqtt] settings cannot work together; `problems` lists each as a full sentence."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid MQTT settings:\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class ConnectionSettings:
    """What the connection needs, checked as a whole (the schema checks each setting alone)."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    tls: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    keepalive_s: int = 30
    reconnect_max_s: float = 60.0
    outbox_size: int = 200

    @classmethod
    def from_config(cls, cfg: MqttConfig) -> ConnectionSettings:
        problems: list[str] = []
        if not cfg.host.strip():
            problems.append("mqtt.host is empty: name the broker's host or address")
        if bool(cfg.username) != bool(cfg.password):
            missing = "mqtt.password" if cfg.username else "mqtt.username"
            problems.append(f"mqtt.username and mqtt.password must be set together ({missing} is empty)")
        if bool(cfg.cert_file) != bool(cfg.key_file):
            problems.append("mqtt.cert_file and mqtt.key_file must be set together for TLS client auth")
        files = (("ca_file", cfg.ca_file), ("cert_file", cfg.cert_file), ("key_file", cfg.key_file))
        for key, path in files:
            if not path:
                continue
            if not cfg.tls:
                problems.append(f"mqtt.{key} is set but mqtt.tls is off: turn TLS on or clear it")
            elif not Path(path).expanduser().is_file():
                problems.append(f"mqtt.{key} = {path!r}: no such file")
        if problems:
            raise MqttSetupError(problems)
        return cls(
            host=cfg.host.strip(),
            port=cfg.port,
            username=cfg.username,
            password=cfg.password,
            tls=cfg.tls,
            ca_file=str(Path(cfg.ca_file).expanduser()) if cfg.ca_file else "",
            cert_file=str(Path(cfg.cert_file).expanduser()) if cfg.cert_file else "",
            key_file=str(Path(cfg.key_file).expanduser()) if cfg.key_file else "",
            keepalive_s=cfg.keepalive_s,
            reconnect_max_s=cfg.reconnect_max_s,
            outbox_size=cfg.outbox_size,
        )

    def paho_client(self, client_id: str, will: tuple[str, bytes] | None, qos: int) -> mqtt.Client:
        """A paho client for these settings (MQTT 3.1.1, clean session): credentials, TLS, the last
        `will` (topic, payload; retained), and its queue capped; the callbacks are the caller's."""
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=True,
        )
        if self.username:
            client.username_pw_set(self.username, self.password)
        if self.tls:
            client.tls_set(
                ca_certs=self.ca_file or None,
                certfile=self.cert_file or None,
                keyfile=self.key_file or None,
                cert_reqs=ssl.CERT_REQUIRED,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        if will is not None:
            client.will_set(will[0], will[1], qos=qos, retain=True)
        # No in-flight window: the announcement after a connect (discovery and every retained state
        # topic) goes out at once instead of 20 at a time behind acknowledgements; the queue's cap
        # bounds memory.  (paho's reconnect() zeroes its in-flight count, so drop_out_messages at
        # each connect would not use a window up either.)
        client.max_inflight_messages_set(0)
        client.max_queued_messages_set(self.outbox_size + 100)
        return client


def turned_away(settings: ConnectionSettings, reason: str, keepalive: bool) -> str:
    """What to check when the connection closed before the broker answered the CONNECT.  Under TLS 1.3
    the client finishes its side of the handshake before the broker checks the client's certificate,
    so a broker requiring one (or a plain client on a TLS port) ends the attempt here, not in
    on_connect_fail.  A broker that took the connection and never answered (hung, overloaded) ends it
    here too, by the keepalive (`keepalive`): no question about certificates then."""
    where = f"the broker at {settings.host}:{settings.port}"
    if keepalive:
        return (
            f"{where} took the connection but never answered it within mqtt.keepalive_s "
            f"({settings.keepalive_s} s): is it hung or overloaded, or not an MQTT broker?"
        )
    if settings.tls:
        return (
            f"{where} closed the connection before accepting it ({reason}): does it require a "
            "client certificate (mqtt.cert_file, mqtt.key_file), or TLS off (mqtt.tls)?"
        )
    return (
        f"{where} closed the connection before accepting it ({reason}): does it require "
        "TLS (mqtt.tls), or was it stopping?"
    )
