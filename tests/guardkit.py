"""What the tests of system/guarded's guards share (the phone page's and the library server's): a
half-sent request is closed once the (shortened) timeout passes and its thread ends, and a connection
past a cap of two is answered 503 at once and served again once one closes.  Imported from tests/."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

from polling import until


def _handlers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if "process_request_thread" in t.name}


def half_sent_request_is_closed(port: int, open_connections: Callable[[], int], path: str) -> None:
    """A request without its blank line to the server on the loopback `port` (its timeout shortened) is
    closed by the server, its thread ends and `open_connections()` counts none."""
    before = _handlers()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())  # the blank line never comes
        handler = until(lambda: _handlers() - before, 10, "a thread for the connection")
        # closed by the server (without the guard: nothing came, and recv timed out here after 20 s)
        assert sock.recv(1024) == b""
    for thread in handler:
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert open_connections() == 0


def third_connection_is_refused(port: int, open_connections: Callable[[], int], path: str) -> bytes:
    """With a cap of two and two idle connections open, a third is answered 503 at once; once one
    closes, a request for `path` is served again: its status line is returned."""
    idle = [socket.create_connection(("127.0.0.1", port), timeout=20) for _ in range(2)]
    try:
        until(lambda: open_connections() == 2, 10, "two connections served")
        with socket.create_connection(("127.0.0.1", port), timeout=20) as third:
            # without the cap: a third thread, and a fourth, and so on
            assert third.recv(1024).startswith(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5")
        idle.pop().close()
        until(lambda: open_connections() == 1, 10, "a closed connection's thread to end")
        with socket.create_connection(("127.0.0.1", port), timeout=20) as another:
            another.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            return another.recv(1024).split(b"\r\n")[0]
    finally:
        for sock in idle:
            sock.close()
