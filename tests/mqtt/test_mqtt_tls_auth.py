"""TLS (server and client certificates) and user/password against Mosquitto configured for them."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _running(port: int, ca: Path, **cfg: object) -> Iterator[MqttBridge]:
    """A bridge of an in-memory speaker, on TLS trusting `ca`, started against the broker at `port`
    (settings `cfg` as for mqtt_config) and stopped at the end."""
    bus = EventBus()
    config = mqtt_config(port, mqtt__tls=True, mqtt__ca_file=str(ca), **cfg)
    bridge = MqttBridge(config, ControlAPI(MemorySpeaker(bus), bus), bus, "secure")
    bridge.start()
    try:
        yield bridge
    finally:
        bridge.stop()


def _connected(bridge: MqttBridge) -> None:
    until(lambda: bridge.connected, what="the bridge to connect", detail=bridge.stats)


def _failed(bridge: MqttBridge, error: str, what: str) -> None:
    """Wait until the bridge reports a connection failure whose message contains `error`."""
    until(lambda: error in bridge.stats()["last_error"], what=what, detail=bridge.stats)


def _tls_listener(pki: Pki) -> str:
    """Mosquitto's settings for a TLS listener with the test PKI's server certificate."""
    return f"cafile {pki.ca}\ncertfile {pki.server_cert}\nkeyfile {pki.server_key}\n"


@pytest.fixture
def tls_broker(tmp_path: Path, pki: Pki) -> Iterator[Mosquitto]:
    pw = _password_file(tmp_path / "passwd", "speaker", "s3cret-pass")
    b = Mosquitto(tmp_path, extra=f"{_tls_listener(pki)}password_file {pw}\nallow_anonymous false\n")
    b.start()
    yield b
    b.stop()


def test_tls_with_user_and_password(tls_broker: Mosquitto, pki: Pki) -> None:
    login = {"mqtt__username": "speaker", "mqtt__password": "s3cret-pass"}
    with _running(tls_broker.port, pki.ca, **login) as bridge:
        _connected(bridge)

        def announced() -> dict[str, bytes] | None:
            found = retained(
                tls_broker.port,
                "#",
                tls=(str(pki.ca), None, None),
                auth=("speaker", "s3cret-pass"),
            )
            return found if "homeassistant/device/secure/config" in found else None

        found = until(announced, what="the discovery config, read over TLS with the password")
        assert found["moodspeaker/secure/availability"] == b"online"


def test_wrong_password_is_refused_and_reported(tls_broker: Mosquitto, pki: Pki) -> None:
    with _running(tls_broker.port, pki.ca, mqtt__username="speaker", mqtt__password="wrong") as bridge:
        _failed(bridge, "refused", "the broker's refusal")
        stats = bridge.stats()
        assert not stats["connected"] and "refused" in stats["last_error"], stats


def test_tls_rejects_a_server_signed_by_another_ca(tls_broker: Mosquitto, tmp_path: Path) -> None:
    other = tmp_path / "other-ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=Other", "-keyout", str(tmp_path / "o.key"), "-out", str(other)],
                   check=True, capture_output=True)  # fmt: skip
    with _running(tls_broker.port, other, mqtt__username="speaker", mqtt__password="x1") as bridge:
        _failed(bridge, "cannot connect", "the failed TLS handshake reported")
        assert not bridge.connected


def test_tls_client_certificate(tmp_path: Path, pki: Pki) -> None:
    client_auth = "require_certificate true\nuse_identity_as_username true\nallow_anonymous false\n"
    b = Mosquitto(tmp_path, extra=_tls_listener(pki) + client_auth)
    b.start()
    try:
        client = {"mqtt__cert_file": str(pki.client_cert), "mqtt__key_file": str(pki.client_key)}
        with _running(b.port, pki.ca, **client) as bridge:
            _connected(bridge)
        refused = "peer did not return a certificate"  # what mosquitto logs for a handshake without one
        assert b.logged(refused) == 0, b.log.read_text()  # the bridge with its certificate was never refused
        with _running(b.port, pki.ca) as without:  # no client certificate: the broker must refuse it
            until(lambda: b.logged(refused), what="the broker refusing a TLS handshake without a client "
                  "certificate", detail=lambda: (without.stats(), b.log.read_text()))  # fmt: skip
            assert not without.connected
            _failed(
                without, "closed the connection before accepting it", "the bridge saying it was turned away"
            )
            assert "mqtt.cert_file" in without.stats()["last_error"]  # and what to look at
    finally:
        b.stop()


def test_half_configured_credentials_fail_at_construction() -> None:
    bus = EventBus()
    control = ControlAPI(MemorySpeaker(bus), bus)
    with pytest.raises(MqttSetupError, match="must be set together"):
        MqttBridge(mqtt_config(1883, mqtt__username="speaker"), control, bus, "x")
