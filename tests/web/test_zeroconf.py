"""The page is announced on the LAN (here: the loopback only) and found by a zeroconf browser."""

from __future__ import annotations

import os
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from webkit import loopback_announcements, make_config, serve_speaker
from zeroconf import ServiceBrowser, ServiceStateChange, Zeroconf

from moodspeaker.config import save
from moodspeaker_web.advertise import HTTP_TYPE, OWN_TYPE, friendly_name, host_label
from polling import until


def test_friendly_names() -> None:
    assert friendly_name("Kitchen", "pi") == "Moodspeaker (Kitchen)"
    assert friendly_name("Moodspeaker", "living-room") == "Moodspeaker (living-room)"
    assert friendly_name("Moodspeaker Attic", "pi") == "Moodspeaker Attic"
    assert friendly_name("  ", "pi") == "Moodspeaker (pi)"
    assert host_label("Kitchen_Speaker.lan") == "kitchen-speaker"
    assert host_label("...") == "moodspeaker"


class Seen:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, ServiceStateChange]] = []

    def handler(
        self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange
    ) -> None:
        self.events.append((service_type, name, state_change))

    def wait_for(self, predicate: Callable[[], bool], what: str) -> None:
        until(predicate, 45.0, what, detail=lambda: f"zeroconf events so far: {self.events}")


@pytest.mark.timeout(300)
def test_page_is_announced_and_reachable_from_a_browser_on_this_machine(tmp_path: Path) -> None:
    room = f"Kitchen {os.getpid() % 10000}"  # other test runs on this machine may announce too
    config = make_config(tmp_path / "data", **{"device.name": room})
    save(config, tmp_path / "config.toml")
    server = serve_speaker(
        config,
        tmp_path / "data",
        tmp_path / "config.toml",
        host="127.0.0.1",
        port=0,
        advertise=True,
        interfaces=["127.0.0.1"],
    )
    browser_zc = Zeroconf(interfaces=["127.0.0.1"])
    seen = Seen()
    browsers = [ServiceBrowser(browser_zc, t, handlers=[seen.handler]) for t in (HTTP_TYPE, OWN_TYPE)]
    expected = f"Moodspeaker ({room})"
    try:
        assert server.advertiser is not None
        for service_type in (HTTP_TYPE, OWN_TYPE):

            def announced(t: str = service_type) -> bool:
                return any(
                    e[0] == t and e[1].startswith(expected) and e[2] is ServiceStateChange.Added
                    for e in seen.events
                )

            seen.wait_for(announced, f"{service_type} announced")
        name = next(e[1] for e in seen.events if e[0] == HTTP_TYPE and e[1].startswith(expected))
        info = browser_zc.get_service_info(HTTP_TYPE, name, timeout=30000)
        assert info is not None
        assert info.port == server.port
        assert info.server == f"{host_label(socket.gethostname())}.local."
        assert info.properties[b"path"] == b"/"
        assert b"version" not in info.properties  # a stranger browsing the LAN learns no software version
        # The host name's A records: another program on this machine announcing on every interface
        # (a demo) adds the LAN address to the same `<host>.local.` in the browser's cache.
        addresses = [socket.inet_ntoa(a) for a in info.addresses]
        assert "127.0.0.1" in addresses, addresses
        address = "127.0.0.1"
        # what a browser does with the announcement: open http://address:port/ and get the page
        with urllib.request.urlopen(f"http://{address}:{info.port}/setup", timeout=30) as response:
            html = response.read().decode()
        assert response.status == 200 and "setup code" in html and room in html
        # renamed on the page: announced under the new name
        server.ctx.save_changes({"device.name": f"Attic {os.getpid() % 10000}"})
        renamed = f"Moodspeaker (Attic {os.getpid() % 10000})"
        seen.wait_for(
            lambda: any(e[1].startswith(renamed) and e[2] is ServiceStateChange.Added for e in seen.events),
            "the new name announced",
        )
        seen.wait_for(
            lambda: any(e[1] == name and e[2] is ServiceStateChange.Removed for e in seen.events),
            "the old name withdrawn",
        )
        new_name = next(e[1] for e in seen.events if e[0] == HTTP_TYPE and e[1].startswith(renamed))
        server.stop()
        seen.wait_for(
            lambda: any(e[1] == new_name and e[2] is ServiceStateChange.Removed for e in seen.events),
            "the name withdrawn when the server stops",
        )
    finally:
        for browser in browsers:
            browser.cancel()
        browser_zc.close()
        server.stop()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_page_on_one_address_is_announced_there_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    """web.host is one address (here the loopback, announced on purpose): the announcement goes out on
    that interface only and names only that address.  Before, it went out on every interface and listed
    every local address, addresses the page does not answer on.  A host name counts as the address the
    page is bound to (localhost: 127.0.0.1; before, a host name was announced on every interface with
    every local address).  The machine's other addresses are made up, and an announcement beyond the
    loopback is refused before it is sent (tests stay on it)."""
    asked = loopback_announcements(monkeypatch)
    config = make_config(tmp_path / "data", **{"device.name": f"Porch {os.getpid() % 10000}"})
    server = serve_speaker(config, tmp_path / "data", host=host, port=0, advertise=True)
    try:
        assert asked == [["127.0.0.1"]]
        assert server.advertiser is not None
        assert server.advertiser.announcement.addresses == ("127.0.0.1",)
    finally:
        server.stop()
