"""TLS (server and client certificates) and user/password against Mosquitto configured for them."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from brokerkit import Mosquitto, Pki, mqtt_config
from mqtt_helpers import retained
from speakerkit import MemorySpeaker

from moodspeaker.mqtt import MqttBridge
from moodspeaker.mqtt.client import MqttSetupError
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from polling import until


def _password_file(path: Path, user: str, password: str) -> Path:
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(path), user, password], check=True, capture_output=True
    )
    path.chmod(0o600)
    return path


def _bridge(port: int, **cfg: object) -> tuple[MqttBridge, MemorySpeaker]:
    bus = EventBus()
    speaker = MemorySpeaker(bus)
    bridge = MqttBridge(mqtt_config(port, **cfg), ControlAPI(speaker, bus), bus, "secure")
    return bridge, speaker


def _connected(bridge: MqttBridge) -> None:
    until(lambda: bridge.connected, what="the bridge to connect", detail=bridge.stats)


@pytest.fixture
def tls_broker(tmp_path: Path, pki: Pki) -> Iterator[Mosquitto]:
    pw = _password_file(tmp_path / "passwd", "speaker", "s3cret-pass")
    b = Mosquitto(
        tmp_path,
        extra=(
            f"cafile {pki.ca}\ncertfile {pki.server_cert}\nkeyfile {pki.server_key}\n"
            f"password_file {pw}\nallow_anonymous false\n"
        ),
    )
    b.start()
    yield b
    b.stop()


def test_tls_with_user_and_password(tls_broker: Mosquitto, pki: Pki) -> None:
    bridge, _ = _bridge(
        tls_broker.port,
        mqtt__tls=True,
        mqtt__ca_file=str(pki.ca),
        mqtt__username="speaker",
        mqtt__password="s3cret-pass",
    )
    bridge.start()
    try:
        _connected(bridge)

        def announced() -> dict[str, bytes] | None:
            found = retained(
                tls_broker.port,
                "#",
                settle=0.3,
                tls=(str(pki.ca), None, None),
                auth=("speaker", "s3cret-pass"),
            )
            return found if "homeassistant/device/secure/config" in found else None

        found = until(announced, what="the discovery config, read over TLS with the password")
        assert found["moodspeaker/secure/availability"] == b"online"
    finally:
        bridge.stop()


def test_wrong_password_is_refused_and_reported(tls_broker: Mosquitto, pki: Pki) -> None:
    bridge, _ = _bridge(
        tls_broker.port,
        mqtt__tls=True,
        mqtt__ca_file=str(pki.ca),
        mqtt__username="speaker",
        mqtt__password="wrong",
    )
    bridge.start()
    try:
        until(
            lambda: "refused" in bridge.stats()["last_error"],
            what="the broker's refusal",
            detail=bridge.stats,
        )
        stats = bridge.stats()
        assert not stats["connected"] and "refused" in stats["last_error"], stats
    finally:
        bridge.stop()


def test_tls_rejects_a_server_signed_by_another_ca(tls_broker: Mosquitto, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=Other", "-keyout", str(tmp_path / "o.key"), "-out", str(other)],
                   check=True, capture_output=True)  # fmt: skip
    bridge, _ = _bridge(
        tls_broker.port,
        mqtt__tls=True,
        mqtt__ca_file=str(other),
        mqtt__username="speaker",
        mqtt__password="x1",
    )
    bridge.start()
    try:
        until(
            lambda: "cannot connect" in bridge.stats()["last_error"],
            what="the failed TLS handshake reported",
            detail=bridge.stats,
        )
        assert not bridge.connected
    finally:
        bridge.stop()


def test_tls_client_certificate(tmp_path: Path, pki: Pki) -> None:
    b = Mosquitto(
        tmp_path,
        extra=(
            f"cafile {pki.ca}\ncertfile {pki.server_cert}\nkeyfile {pki.server_key}\n"
            "require_certificate true\nuse_identity_as_username true\nallow_anonymous false\n"
        ),
    )
    b.start()
    try:
        bridge, _ = _bridge(
            b.port,
            mqtt__tls=True,
            mqtt__ca_file=str(pki.ca),
            mqtt__cert_file=str(pki.client_cert),
            mqtt__key_file=str(pki.client_key),
        )
        bridge.start()
        try:
            _connected(bridge)
        finally:
            bridge.stop()
        without, _ = _bridge(b.port, mqtt__tls=True, mqtt__ca_file=str(pki.ca))
        without.start()
        try:
            time.sleep(1.5)
            assert not without.connected  # no client certificate, no connection
        finally:
            without.stop()
    finally:
        b.stop()


def test_half_configured_credentials_fail_at_construction() -> None:
    bus = EventBus()
    control = ControlAPI(MemorySpeaker(bus), bus)
    with pytest.raises(MqttSetupError, match="must be set together"):
        MqttBridge(mqtt_config(1883, mqtt__username="speaker"), control, bus, "x")
