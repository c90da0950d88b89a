"""A connection that stays silent is closed after server.HANDLER_TIMEOUT_S, and the page serves at most
MAX_CONNECTIONS at once (MAX_PER_CLIENT from one client): each connection holds a thread, and before,
400 half-sent requests held 414 threads for good.  The limits are shortened here."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from webkit import HomeSpeaker, make_config

from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker_web import server as page_server
from moodspeaker_web.server import WebServer, serve
from polling import until


@pytest.fixture
def web(tmp_path: Path) -> Iterator[WebServer]:
    bus = EventBus()
    server = serve(
        ControlAPI(HomeSpeaker(bus), bus),
        bus,
        config=make_config(tmp_path / "data"),
        data_dir=tmp_path / "data",
        config_path=None,
        host="127.0.0.1",
        port=0,
        advertise=False,
    )
    yield server
    server.stop()


def _handlers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "process_request_thread" in t.name}


def test_a_half_sent_request_is_closed_and_its_thread_ends(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_server, "HANDLER_TIMEOUT_S", 0.5)
    before = _handlers()
    with socket.create_connection(("127.0.0.1", web.port), timeout=20) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the blank line never comes
        handler = until(lambda: _handlers() - before, 10, "a thread for the connection")
        # closed by the speaker (before: nothing came, and recv timed out here after 20 s)
        assert sock.recv(1024) == b""
    for thread in handler:
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert web.open_connections() == 0


@pytest.mark.parametrize("limit", ["MAX_CONNECTIONS", "MAX_PER_CLIENT"])
def test_connections_past_the_cap_are_refused_at_once(
    web: WebServer, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    monkeypatch.setattr(page_server, limit, 2)
    idle = [socket.create_connection(("127.0.0.1", web.port), timeout=20) for _ in range(2)]
    try:
        until(lambda: web.open_connections() == 2, 10, "two connections served")
        with socket.create_connection(("127.0.0.1", web.port), timeout=20) as third:
            # before: a third thread, and a fourth, and so on
            assert third.recv(1024).startswith(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5")
        idle.pop().close()
        until(lambda: web.open_connections() == 1, 10, "a closed connection's thread to end")
        with socket.create_connection(("127.0.0.1", web.port), timeout=20) as another:
            another.sendall(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert another.recv(1024).split(b"\r\n")[0] in {b"HTTP/1.1 200 OK", b"HTTP/1.1 302 FOUND"}
    finally:
        for sock in idle:
            sock.close()
