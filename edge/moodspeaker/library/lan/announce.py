"""Zeroconf announcement and discovery of library servers (`_moodspeaker-lib._tcp` plus `_http._tcp`).

`interfaces` limits where packets go (tests use the loopback only, so nothing leaves the machine).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Sequence
from typing import Any

from zeroconf import IPVersion, ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf

from moodspeaker.library.lan import API_PREFIX, HTTP_TYPE, PROTOCOL_VERSION, SERVICE_TYPE
from moodspeaker.util.net import zeroconf_interfaces

log = logging.getLogger(__name__)


class Announcer:
    """Registers the library server under both service types; `close()` withdraws them."""

    def __init__(
        self, name: str, port: int, addresses: Sequence[str], interfaces: Sequence[str] | None = None
    ) -> None:
        self.name = name
        self.port = port
        self.addresses = [a for a in addresses if a.count(".") == 3]
        self._interfaces = list(interfaces) if interfaces else None
        self._zc: Any = None

    def start(self) -> None:
        zc = Zeroconf(interfaces=zeroconf_interfaces(self._interfaces), ip_version=IPVersion.V4Only)
        self._zc = zc
        host = socket.gethostname().split(".")[0] or "moodspeaker"
        props = {"path": API_PREFIX, "version": str(PROTOCOL_VERSION), "kind": "moodspeaker-library"}
        for service_type in (SERVICE_TYPE, HTTP_TYPE):
            info = ServiceInfo(
                service_type,
                f"{self.name}.{service_type}",
                port=self.port,
                addresses=[socket.inet_aton(a) for a in self.addresses],
                server=f"{host}.local.",
                properties=props,
            )
            zc.register_service(info, allow_name_change=True)
        log.info("library server announced as %r on port %d", self.name, self.port)

    def close(self) -> None:
        if self._zc is not None:
            try:
                self._zc.unregister_all_services()
            finally:
                self._zc.close()
                self._zc = None


class _Collector(ServiceListener):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.names.add(name)

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.names.add(name)

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.names.discard(name)


def discover(timeout_s: float = 3.0, interfaces: Sequence[str] | None = None) -> list[str]:
    """Base URLs (http://address:port) of library servers answering on the LAN within `timeout_s`."""
    zc = Zeroconf(interfaces=zeroconf_interfaces(interfaces), ip_version=IPVersion.V4Only)
    try:
        collector = _Collector()
        browser = ServiceBrowser(zc, SERVICE_TYPE, collector)
        deadline = time.monotonic() + timeout_s
        urls: list[str] = []
        while time.monotonic() < deadline and not urls:
            time.sleep(0.2)
            for name in sorted(collector.names):
                info = zc.get_service_info(SERVICE_TYPE, name, timeout=1000)
                if info is None:
                    continue
                for address in info.parsed_addresses(IPVersion.V4Only):
                    url = f"http://{address}:{info.port}"
                    if url not in urls:
                        urls.append(url)
        browser.cancel()
        return urls
    finally:
        zc.close()
