"""Run the page inside the service: a threaded WSGI server on its own thread, plus zeroconf.

The service calls `serve(...)` once and `stop()` on shutdown.  werkzeug's threaded server is
enough for a handful of phones in one home, and it has no extra dependency.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from moodspeaker.config import Config
from moodspeaker.mqtt.identity import is_loopback
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker.system.guarded import GuardedServer, Limits, guarded_server
from moodspeaker.util.net import one_address
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


def _limits() -> Limits:
    """The module's limits, read for each connection (so a test can shorten them)."""
    return Limits(HANDLER_TIMEOUT_S, MAX_CONNECTIONS, MAX_PER_CLIENT)


class WebServer:
    """A running page: `url`, `port`, `advertiser` (or None) and `stop()`."""

    def __init__(self, server: GuardedServer, ctx: WebContext, advertiser: Advertiser | None) -> None:
        self._server = server
        self.ctx = ctx
        self.advertiser = advertiser
        self.port = int(server.port)  # server_port is unset when werkzeug is handed the socket (fd=)
        host = "127.0.0.1" if server.host in {"0.0.0.0", "", "::"} else server.host
        if ":" in host:  # an IPv6 address is bracketed in a URL (a zone's % written as %25)
            host = f"[{host.strip('[]').replace('%', '%25')}]"
        self.url = f"http://{host}:{self.port}/"
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
        server = guarded_server(
            host if host is not None else config.web.host,
            config.web.port if port is None else port,
            app,
            _limits,
        )
    except BaseException:
        ctx.close()
        raise
    advertiser = None
    # where to announce is decided from the address the socket is bound to, not from web.host's text:
    # a host name (localhost, kitchen.lan) is the one address it resolved to, which the page listens on
    # only (before, it was announced on every interface with every local address)
    bound = str(server.server_address[0])
    if advertise is None and config.web.zeroconf and is_loopback(bound):
        # a page only this machine can open is not announced to every device on the LAN: the
        # announcement names the speaker and says where it stands, for a page nobody there can use
        log.info("the page is not announced on the LAN: it listens on %s only (web.host)", bound)
        advertise = False
    only = one_address(bound)
    if only is not None and interfaces is None:
        # a page on one LAN address is announced there only, for that address: announced on every
        # interface with every local address, it sent phones on other networks to addresses it does
        # not answer on
        if ":" in only:  # the announcement is IPv4 only (Advertiser): it cannot name this address
            log.info("the page is not announced on the LAN: it listens on %s only (web.host)", only)
            advertise = False
        interfaces = [only]
    if config.web.zeroconf if advertise is None else advertise:
        advertiser = Advertiser(config.device.name, int(server.port), interfaces=interfaces)
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
