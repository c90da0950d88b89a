"""Whether and where the page is announced is decided from the address its socket is bound to, not
from web.host's text.

Why: with web.host a host name, the page listens on the one address the name resolves to, but it was
announced on every interface naming every local address (util.net.one_address saw no address in the
text), and a name for the loopback other than the literal "localhost" (here "LOCALHOST"; on Raspberry
Pi OS the speaker's own host name, 127.0.1.1 in /etc/hosts) was announced to the whole LAN for a page
only this machine can open.  The real page server as the service calls it (no `advertise`, web.zeroconf
on), with real zeroconf kept on the loopback: the machine's other addresses are made up, and an
announcement beyond the loopback is refused before anything is sent (tests stay on the loopback).
"""

from __future__ import annotations

import logging
import urllib.request
from pathlib import Path

import pytest
from webkit import loopback_announcements, make_config, serve_speaker


def test_a_host_name_for_the_loopback_is_not_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    asked = loopback_announcements(monkeypatch)
    config = make_config(tmp_path / "data", **{"web.host": "LOCALHOST", "web.zeroconf": True})
    with caplog.at_level(logging.INFO, logger="moodspeaker_web.server"):
        server = serve_speaker(config, tmp_path / "data", port=0)
    try:
        assert asked == []  # before: [None], every interface, naming the made-up 192.0.2.7
        assert server.advertiser is None
        assert "not announced on the LAN: it listens on 127.0.0.1 only" in caplog.text, caplog.text
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/login", timeout=30) as answer:
            assert answer.status == 200  # the page itself is served, on the loopback
    finally:
        server.stop()
