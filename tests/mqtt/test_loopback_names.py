"""A page on loopback is known as such however its address is written: `web.host = "LOCALHOST"` (or
"Localhost.", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", the machine's own name that the hosts
file gives 127.0.1.1) listens where only the speaker can reach it.  Before, only the exact texts
127.x, "localhost" and "::1" counted: Home Assistant was given the speaker's LAN address as the
device's "Visit" link (configuration_url) for a page that does not answer there.  The shorthand 127.1
(and the other forms inet_aton reads: 2130706433, 0x7f.1) counts too: the socket library connects
to 127.0.0.1 for it, and `mqtt.host = "127.1"` was warned about as a broker open on the network.
Names are not looked up in DNS (offline-safe): only the hosts file is read.  The real bridge on a real
Mosquitto broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from brokerkit import Mosquitto
from mqtt_helpers import Watcher
from speakerkit import make_rig

from moodspeaker.config.schema import MqttConfig
from moodspeaker.mqtt import bridge
from moodspeaker.mqtt.identity import is_loopback, reachable_url
from moodspeaker.system.broker_exposure import open_broker


@pytest.mark.parametrize(
    "host",
    ["LOCALHOST", "Localhost.", "localhost", "app.LocalHost", "127.0.1.1", "127.0.0.1", "::1", "[::1]",
     "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "IP6-Localhost",
     # the shorthand forms the socket library connects to (inet_aton): all 127.0.0.1 but the last
     "127.1", "127.0.1", "2130706433", "0x7f.1", "0177.0.0.1", "0X7F000001", "127.255.1"],
)  # fmt: skip
def test_loopback_however_written(host: str, tmp_path: Path) -> None:
    assert is_loopback(host, tmp_path / "no-hosts-file")


@pytest.mark.parametrize(
    "host", ["", "0.0.0.0", "::", "192.168.1.20", "fd00::5", "speaker.local", "localhost.example.com",
             "::ffff:192.168.1.20",
             # shorthand forms of LAN addresses (10.0.0.1, 192.168.0.1, 8.0.0.1: octal), and names
             "10.1", "192.168.1", "010.0.0.1", "0x7f", "cafe", "face.bad"]
)  # fmt: skip
def test_not_loopback(host: str, tmp_path: Path) -> None:
    assert not is_loopback(host, tmp_path / "no-hosts-file")


def test_a_broker_at_127_1_is_not_warned_about_as_open() -> None:
    """`mqtt.host = "127.1"` (127.0.0.1, as the socket library reads it) is this machine's broker:
    the doctor and the health said it was open on the network.  A LAN address written short is."""
    assert open_broker(MqttConfig(host="127.1")) == ("", "")
    problem, _ = open_broker(MqttConfig(host="10.1"))
    assert "MQTT broker 10.1:1883 is on the network" in problem, problem


def test_names_the_hosts_file_puts_on_loopback(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "127.0.0.1\tlocalhost\n127.0.1.1\tKitchen-Pi.lan kitchen-pi  # Debian's own name\n"
        "::1 ip6-localhost\n192.168.1.9 nas\n127.0.0.1 both\n192.168.1.10 both\n"
    )
    assert is_loopback("kitchen-pi", hosts) and is_loopback("KITCHEN-PI.LAN", hosts)
    assert not is_loopback("nas", hosts)
    assert not is_loopback("both", hosts)  # also at a LAN address: not only this machine's
    assert not is_loopback("kitchen", hosts)


def test_reachable_url_of_an_upper_case_loopback() -> None:
    lan = lambda: "192.168.1.20"  # noqa: E731
    assert reachable_url("http://LOCALHOST:8080/", lan) == "http://192.168.1.20:8080/"
    assert reachable_url("http://[::1]:8080/", lan) == "http://192.168.1.20:8080/"


def test_home_assistant_gets_no_link_to_a_page_on_localhost_in_capitals(
    broker: Mosquitto, watcher: Watcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge, "lan_address", lambda: "192.168.1.20")  # the routing table's answer
    r = make_rig(broker.port, web_url="http://LOCALHOST:8080/", web__host="LOCALHOST")
    r.bridge.start()
    try:
        config = watcher.wait_for("homeassistant/device/kitchen/config").json()
    finally:
        r.bridge.stop()
    assert "configuration_url" not in config["dev"], config["dev"]
