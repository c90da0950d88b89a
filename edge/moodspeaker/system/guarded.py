"""werkzeug's threaded server with the guards a server on the home network needs: shared by the phone
page (moodspeaker_web.server) and the LAN library server (library.lan.server).

- A connection silent for `Limits.handler_timeout_s` is closed: each open connection holds a thread, and
  one that sent half a request held it for good.  The timeout is the socket's, so it bounds each read
  and each write on its own (werkzeug writes a response, a streamed audio file among them, in blocks of
  8 KiB, each one `sendall`): a long download to a slow client that keeps reading is never cut.
- At most `Limits.max_connections` are served at once, `Limits.max_per_client` from one client
  (util.net.client_network: each address on its own, IPv6 ones too); past them a connection is answered
  503 at once and closed.
- The Server header says only "Moodspeaker": no Werkzeug or Python version to look up flaws by.
- Request lines and a connection's errors (an idle keep-alive timing out) go to debug logging: the
  device log is for things a person should read.

Its own module, not system/listen's: werkzeug comes with flask (the `library` and `web` extras), and
system/listen is imported by commands that run without them.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from moodspeaker.system.listen import listening_socket
from moodspeaker.util.net import client_network

log = logging.getLogger(__name__)

_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
)


@dataclass(frozen=True)
class Limits:
    """Seconds one read or write on a connection may wait; connections served at once, in all and from
    one client."""

    handler_timeout_s: float
    max_connections: int
    max_per_client: int


class QuietHandler(WSGIRequestHandler):
    """Request lines to debug logging, a socket timeout per connection, and a Server header without
    versions."""

    server: GuardedServer

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.limits().handler_timeout_s)

    def version_string(self) -> str:
        """The Server header: no Werkzeug or Python version for a stranger to look up flaws by."""
        return "Moodspeaker"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path, code)

    def log_error(self, format: str, *args: Any) -> None:
        log.debug("connection from %s: %s", self.client_address[0], format % args)


class GuardedServer(ThreadedWSGIServer):
    """werkzeug's threaded server with a cap on the connections (each a thread) it serves at once.
    `limits` is called for each connection (so a test can shorten them while the server runs)."""

    def __init__(self, *args: Any, limits: Callable[[], Limits], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._open: dict[str, int] = {}
        self._open_lock = threading.Lock()

    def open_connections(self) -> int:
        with self._open_lock:
            return sum(self._open.values())

    def process_request(self, request: Any, client_address: Any) -> None:
        client = client_network(str(client_address[0]))
        limits = self.limits()
        with self._open_lock:
            full = (
                sum(self._open.values()) >= limits.max_connections
                or self._open.get(client, 0) >= limits.max_per_client
            )
            if not full:
                self._open[client] = self._open.get(client, 0) + 1
        if full:
            log.debug("refused a connection from %s: too many open", client_address[0])
            request.settimeout(0)  # the accepting thread never waits on a client
            with contextlib.suppress(OSError):
                request.sendall(_BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:  # no thread started: it will not count itself out
            self._closed(client)
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._closed(client_network(str(client_address[0])))

    def _closed(self, client: str) -> None:
        with self._open_lock:
            left = self._open.get(client, 0) - 1
            if left > 0:
                self._open[client] = left
            else:
                self._open.pop(client, None)


def guarded_server(host: str, port: int, app: Any, limits: Callable[[], Limits]) -> GuardedServer:
    """The guarded server for `app` on a socket bound here: OSError, not werkzeug's printed advice and
    sys.exit(1), if the port cannot be had (system/listen)."""
    sock = listening_socket(host, port)
    try:
        return GuardedServer(host, port, app, handler=QuietHandler, fd=sock.fileno(), limits=limits)
    finally:
        sock.close()  # werkzeug listens on its own duplicate of the descriptor
