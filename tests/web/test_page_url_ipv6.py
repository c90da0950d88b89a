"""The page's URL for an IPv6 address has its brackets: with web.host = "::1" the service logged
"web page: http://::1:PORT/", set it as the web component's health detail and handed it to MQTT, where
it is no URL (urlsplit reads host "" and fails on the port; a browser cannot open it).  Now it is
"http://[::1]:PORT/", as `library serve` prints its own.  The real page served on ::1 over real HTTP.
"""

from __future__ import annotations

import socket
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from realkit import start_service

from moodspeaker_web.server import serve


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="::1 cannot be bound here (no IPv6 loopback)")
def test_the_page_on_ipv6_loopback_has_a_url_that_opens(tmp_path: Path) -> None:
    service = start_service(tmp_path)
    try:
        server = serve(
            service.control, service.bus, **service.page_settings(), host="::1", port=0, advertise=False
        )
        try:
            assert server.url == f"http://[::1]:{server.port}/"
            parts = urlsplit(server.url)
            assert (parts.hostname, parts.port) == ("::1", server.port)
            with urllib.request.urlopen(server.url, timeout=30) as response:
                assert response.status == 200
                assert b"<html" in response.read().lower()
        finally:
            server.stop()
    finally:
        service.appliance.stop()
