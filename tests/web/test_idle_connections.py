"""A connection that stays silent is closed after server.HANDLER_TIMEOUT_S, and the page serves at most
MAX_CONNECTIONS at once (MAX_PER_CLIENT from one client): each connection holds a thread, and before,
400 half-sent requests held 414 threads for good.  The limits are shortened here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from webkit import serve_home

from guardkit import half_sent_request_is_closed, third_connection_is_refused
from moodspeaker_web import server as page_server
from moodspeaker_web.server import WebServer


@pytest.fixture
def web(tmp_path: Path) -> Iterator[WebServer]:
    server = serve_home(tmp_path)
    yield server
    server.stop()


def test_a_half_sent_request_is_closed_and_its_thread_ends(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_server, "HANDLER_TIMEOUT_S", 0.5)
    half_sent_request_is_closed(web.port, web.open_connections, "/")


@pytest.mark.parametrize("limit", ["MAX_CONNECTIONS", "MAX_PER_CLIENT"])
def test_connections_past_the_cap_are_refused_at_once(
    web: WebServer, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    monkeypatch.setattr(page_server, limit, 2)
    status = third_connection_is_refused(web.port, web.open_connections, "/login")
    assert status in {b"HTTP/1.1 200 OK", b"HTTP/1.1 302 FOUND"}
