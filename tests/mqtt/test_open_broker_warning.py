"""A broker on the network reached without a login or without TLS is warned of, naming the settings.

Why: whoever can publish on an open broker sends the speaker commands, and whoever can read it reads
the listener's moods; `moodspeaker doctor` said "ok" for it and the running service said nothing.
Now the doctor's broker check warns (exit code still 0: it works) and the service's health (the
broker's detail, on the page and in MQTT's health) says so with the setting to change.  A broker on
this machine (loopback) is out of the network's reach: no warning.

Real Mosquitto listening on this machine's own LAN address (no packet leaves the machine) besides
loopback; the real doctor command and the runner's real MQTT start with the real Appliance.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from appliancekit import Shown, appliance_config, build_appliance
from brokerkit import Mosquitto, free_port

from moodspeaker import cli
from moodspeaker.config import with_changes
from moodspeaker.config.schema import MqttConfig
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.runner import start_mqtt
from moodspeaker.system.broker_exposure import open_broker
from moodspeaker.util.net import route_source_address


def test_which_settings_are_open_and_what_to_set() -> None:
    for host in ("localhost", "127.0.0.1", "::1", "[::1]"):
        assert open_broker(MqttConfig(host=host)) == ("", "")
    problem, fix = open_broker(MqttConfig(host="nas.lan", port=1883))
    assert problem.startswith("MQTT broker nas.lan:1883 is on the network with no login and no TLS")
    assert "mqtt.username and mqtt.password" in fix and "mqtt.tls = true" in fix
    problem, fix = open_broker(MqttConfig(host="nas.lan", username="speaker", password="pw"))
    assert "with no TLS:" in problem and "mqtt.tls = true" in fix and "mqtt.username" not in fix
    problem, fix = open_broker(MqttConfig(host="nas.lan", tls=True))
    assert "with no login:" in problem and "mqtt.username and mqtt.password" in fix and "mqtt.tls" not in fix
    assert open_broker(MqttConfig(host="nas.lan", tls=True, username="speaker", password="pw")) == ("", "")
    # a TLS client certificate is a login too
    assert open_broker(MqttConfig(host="nas.lan", tls=True, cert_file="c.crt", key_file="c.key")) == ("", "")


@pytest.fixture
def lan_broker(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """Mosquitto on loopback and on this machine's LAN address (anonymous: an open broker)."""
    lan = route_source_address()
    if lan is None:
        pytest.skip("this machine has no LAN address (no default route)")
    port = free_port()
    broker = Mosquitto(tmp_path, extra=f"listener {port} {lan}")
    broker.start()
    try:
        yield lan, port
    finally:
        broker.stop()


def test_doctor_warns_of_an_open_broker(
    tmp_path: Path, lan_broker: tuple[str, int], capsys: pytest.CaptureFixture[str]
) -> None:
    lan, port = lan_broker
    config = tmp_path / "config.toml"
    config.write_text(f'[mqtt]\nenabled = true\nhost = "{lan}"\nport = {port}\n')
    code = cli.main(["--config", str(config), "doctor", "--only", "broker"])
    text = capsys.readouterr().out
    assert code == 0, text  # a warning: the broker works
    assert f"[warn] broker       MQTT broker {lan}:{port} is on the network with no login and no TLS" in text
    assert "mqtt.username and mqtt.password" in text and "mqtt.tls = true" in text


def test_the_running_service_says_its_broker_is_open(tmp_path: Path, lan_broker: tuple[str, int]) -> None:
    lan, port = lan_broker
    config = with_changes(appliance_config(tmp_path, port), {"mqtt.host": lan}, source="test")
    app, bus = build_appliance(tmp_path, config, Shown(None))
    said: list[str] = []
    app.start()
    bridge = start_mqtt(app, control=ControlAPI(app, bus), bus=bus, config=config, say=said.append)
    try:
        detail = app.health_snapshot()["components"]["broker"]["detail"]
        assert "no login and no TLS" in detail and "mqtt.username" in detail, detail
        assert any("warning" in line and "mqtt.tls = true" in line for line in said), said
    finally:
        bridge.stop()
        app.stop()
