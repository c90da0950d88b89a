"""The LAN library server has the phone page's guards (system/guarded): its Server header names no
versions, a silent connection is closed after HANDLER_TIMEOUT_S, and at most MAX_CONNECTIONS are
served at once (MAX_PER_CLIENT from one client).  Before, every response said 'Werkzeug/x Python/y'
and a half-sent request held its thread for good.  The limits are shortened here; a real LibraryServer
on the loopback."""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lankit import add_track

from guardkit import half_sent_request_is_closed, third_connection_is_refused
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan import server as lan_server
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.util.net import client_network

#: bytes of the served file: far more than one write (8 KiB) and the loopback's socket buffers here
_FILE_BYTES = 4 * 1024 * 1024


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LibraryServer, str]]:
    index = LibraryIndex(tmp_path / "library.db")
    path = tmp_path / "music" / "long.wav"
    path.parent.mkdir()
    path.write_bytes(bytes(range(256)) * (_FILE_BYTES // 256))  # served as it is, never decoded
    track = add_track(index, path, 0.1)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    yield server, track
    server.stop()


def test_the_server_header_names_no_versions(served: tuple[LibraryServer, str]) -> None:
    server, track = served
    for path in ("/api/v1/info", f"/api/v1/stream/{track}", "/api/v1/tracks/nothing"):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            conn.request("GET", path, headers={"Range": "bytes=0-9"})
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        assert response.status in {200, 206, 404}
        # before: 'Werkzeug/3.1.x Python/3.11.x'
        assert response.getheader("Server") == "Moodspeaker"


def test_a_half_sent_request_is_closed_and_its_thread_ends(
    served: tuple[LibraryServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = served
    monkeypatch.setattr(lan_server, "HANDLER_TIMEOUT_S", 0.5)
    half_sent_request_is_closed(server.port, server.open_connections, "/api/v1/info")


@pytest.mark.parametrize("limit", ["MAX_CONNECTIONS", "MAX_PER_CLIENT"])
def test_connections_past_the_cap_are_refused_at_once(
    served: tuple[LibraryServer, str], monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    server, _ = served
    monkeypatch.setattr(lan_server, limit, 2)
    assert (
        third_connection_is_refused(server.port, server.open_connections, "/api/v1/info")
        == b"HTTP/1.1 200 OK"
    )


def test_a_stream_longer_than_the_timeout_is_not_cut(
    served: tuple[LibraryServer, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The timeout bounds each write (8 KiB), not the response: a client that keeps reading, in small
    reads with the server waiting on it between them, gets the whole file, however long that takes (here
    the server's thread writes for about 1.8 s, over three timeouts).  A guard: it passed before too, when
    there was no timeout; a deadline on the whole response would fail it."""
    server, track = served
    monkeypatch.setattr(lan_server, "HANDLER_TIMEOUT_S", 0.5)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window stays small
    sock.settimeout(20)
    received = 0
    with sock:
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(
            f"GET /api/v1/stream/{track} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1024)
        header, _, body = head.partition(b"\r\n\r\n")
        assert header.startswith(b"HTTP/1.1 200 OK")
        received = len(body)
        reads = 0
        while block := sock.recv(4096):
            received += len(block)
            reads += 1
            if reads % 16 == 0:  # the server's writes wait on this reader, each well within the timeout
                threading.Event().wait(0.05)
    assert received == _FILE_BYTES


def test_ipv6_neighbours_on_one_64_are_different_clients() -> None:
    """A home LAN is one /64 (and fe80::/64): counted per /64, one phone's connections filled
    MAX_PER_CLIENT for every IPv6 device of the household.  Each address is its own client now."""
    assert client_network("2001:db8:1:2::1") != client_network("2001:db8:1:2::2")
    assert client_network("fe80::1") != client_network("fe80::2")
    assert client_network("::ffff:192.168.1.5") == "192.168.1.5"  # IPv4 through a dual-stack socket
