"""Run the page inside the service: a threaded WSGI server on its own thread, plus zeroconf.

The service calls `serve(...)` once and `stop()` on shutdown.  werkzeug's threaded server is
enough for a handful of phones in one home, and it has no extra dependency.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from moodspeaker import __version__
from moodspeaker.config import Config
from moodspeaker.mqtt.identity import is_loopback
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker.system.listen import listening_socket
from moodspeaker.util.net import client_network
from moodspeaker_web.advertise import Advertiser
from moodspeaker_web.app import create_app
from moodspeaker_web.context import WebContext

log = logging.getLogger(__name__)


#: Seconds a connection may stay silent (mid-request, or idle between requests) before it is closed:
#: each open connection holds a thread, and a half-sent request held it for good
HANDLER_TIMEOUT_S = 30.0
#: Connections served at once, in all and from one client (util.net.client_network); a phone's
#: browser opens about six.  Past them a connection is answered 503 at once and closed.
MAX_CONNECTIONS = 64
MAX_PER_CLIENT = 16
_BUSY = (
    b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
)


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to debug logging: the device log is for things a person should read.  A
    connection silent for HANDLER_TIMEOUT_S is closed (a phone's idle keep-alive, or a half-sent
    request), which is not worth an error in that log either."""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(HANDLER_TIMEOUT_S)  # read here, so a test can shorten it

    def version_string(self) -> str:
        """The Server header: no Werkzeug or Python version for a stranger to look up flaws by."""
        return "Moodspeaker"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path, code)

    def log_error(self, format: str, *args: Any) -> None:
        log.debug("connection from %s: %s", self.client_address[0], format % args)


class _PageServer(ThreadedWSGIServer):
    """werkzeug's threaded server with a cap on the connections (each a thread) it serves at once."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._open: dict[str, int] = {}
        self._open_lock = threading.Lock()

    def open_connections(self) -> int:
        with self._open_lock:
            return sum(self._open.values())

    def process_request(self, request: Any, client_address: Any) -> None:
        client = client_network(str(client_address[0]))
        with self._open_lock:
            full = sum(self._open.values()) >= MAX_CONNECTIONS or self._open.get(client, 0) >= MAX_PER_CLIENT
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


def _page_server(host: str, port: int, app: Any) -> _PageServer:
    """The page's server on a socket bound here: OSError, not werkzeug's exit, if the port cannot be
    had (system/listen)."""
    sock = listening_socket(host, port)
    try:
        return _PageServer(host, port, app, handler=_QuietHandler, fd=sock.fileno())
    finally:
        sock.close()  # werkzeug listens on its own duplicate of the descriptor


class WebServer:
    """A running page: `url`, `port`, `advertiser` (or None) and `stop()`."""

    def __init__(self, server: _PageServer, ctx: WebContext, advertiser: Advertiser | None) -> None:
        self._server = server
        self.ctx = ctx
        self.advertiser = advertiser
        self.port = int(server.port)  # server_port is unset when werkzeug is handed the socket (fd=)
        host = server.host
        self.url = f"http://{'127.0.0.1' if host in {'0.0.0.0', '', '::'} else host}:{self.port}/"
        self._stopped = False
        self._thread = threading.Thread(target=server.serve_forever, name="web", daemon=True)
        self._thread.start()

    def open_connections(self) -> int:
        """Connections being served now (each holds a thread)."""
        return self._server.open_connections()

    def stop(self) -> None:
        """Withdraw the announcement, stop serving and close the stores (safe to call twice)."""
        if self._stopped:
            return
        self._stopped = True
        if self.advertiser is not None:
            try:
                self.advertiser.stop()
            except Exception:
                log.exception("could not withdraw the zeroconf announcement")
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self.ctx.close()


def _renamer(advertiser: Advertiser) -> Callable[[Config], None]:
    """Re-announce under the new name after a rename, off the request thread (probing takes ~2 s)."""
    lock = threading.Lock()

    def rename(config: Config) -> None:
        def work() -> None:
            with lock:
                try:
                    advertiser.rename(config.device.name)
                except Exception as exc:
                    log.warning("could not announce the new name on the LAN: %s", exc)

        threading.Thread(target=work, name="zeroconf-rename", daemon=True).start()

    return rename


def serve(
    control: ControlAPI,
    bus: EventBus,
    *,
    config: Config,
    config_path: Path | None,
    data_dir: Path,
    on_config_change: Callable[[Config], None] | None = None,
    host: str | None = None,
    port: int | None = None,
    advertise: bool | None = None,
    interfaces: Sequence[str] | None = None,
    clock: Callable[[], float] = time.time,
) -> WebServer:
    """Start the page (host/port default to [web] in config; port 0 picks a free one) and announce it.

    Raises OSError when the port is taken, so the service can say so and carry on without a page.
    """
    app = create_app(
        control,
        bus,
        config=config,
        config_path=config_path,
        data_dir=data_dir,
        on_config_change=on_config_change,
        clock=clock,
    )
    ctx: WebContext = app.extensions["moodspeaker"]
    try:
        # bound by us, not by werkzeug, whose failure is a printed message and sys.exit(1), so a port in
        # use stays an OSError the service can report and run on without the page (system/listen)
        server = _page_server(
            host if host is not None else config.web.host, config.web.port if port is None else port, app
        )
    except BaseException:
        ctx.close()
        raise
    advertiser = None
    bound = host if host is not None else config.web.host
    if advertise is None and config.web.zeroconf and is_loopback(bound):
        # a page only this machine can open is not announced to every device on the LAN: the
        # announcement names the speaker and says where it stands, for a page nobody there can use
        log.info("the page is not announced on the LAN: it listens on %s only (web.host)", bound)
        advertise = False
    if config.web.zeroconf if advertise is None else advertise:
        advertiser = Advertiser(
            config.device.name, int(server.port), interfaces=interfaces, version=__version__
        )
        try:
            advertiser.start()
        except Exception as exc:  # the page still works by address without mDNS
            log.warning("could not announce the page on the LAN (zeroconf): %s", exc)
            advertiser = None
    if advertiser is not None:
        ctx.config_listeners.append(_renamer(advertiser))
    web_server = WebServer(server, ctx, advertiser)
    log.info("web page at %s", web_server.url)
    return web_server
