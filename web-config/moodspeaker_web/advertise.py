"""Zeroconf (mDNS/DNS-SD) advertisement, so a phone finds the page without typing an address.

Two services are announced: `_http._tcp` (browsers and apps that list web pages on the LAN) and our
own `_moodspeaker._tcp` (for tools that look for speakers specifically), both named after the
speaker ("Moodspeaker (Kitchen)") and pointing at the host name, so `http://<host>.local:<port>/`
resolves.  `interfaces` limits where it is announced (tests use only the loopback).
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from zeroconf import IPVersion, ServiceInfo, Zeroconf

from moodspeaker.util.net import local_addresses, zeroconf_interfaces

log = logging.getLogger(__name__)

HTTP_TYPE = "_http._tcp.local."
OWN_TYPE = "_moodspeaker._tcp.local."


#: An instance name is one DNS label, at most 63 bytes of UTF-8; zeroconf appends "-2", "-3", ... to a
#: name another device on the LAN has, so room is left for that.  A longer name broke the announcement.
MAX_NAME_BYTES = 63 - len("-100")


def _fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, at a character's boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore").rstrip()


def friendly_name(device_name: str, host: str) -> str:
    """ "Moodspeaker (Kitchen)": the room name in brackets; the default name gets the host name.  At
    most MAX_NAME_BYTES, without control characters (RFC 6763 4.1.1)."""
    printable = "".join(c if c.isprintable() else " " for c in device_name)
    name = " ".join(printable.split()) or "Moodspeaker"
    if name.lower() == "moodspeaker":
        name = host
    elif name.lower().startswith("moodspeaker"):
        return _fit(name, MAX_NAME_BYTES)
    return f"Moodspeaker ({_fit(name, MAX_NAME_BYTES - len('Moodspeaker ()'))})"


def host_label(host: str) -> str:
    """A DNS label from the machine's host name (letters, digits, dashes)."""
    label = re.sub(r"[^a-z0-9-]+", "-", host.split(".", maxsplit=1)[0].lower()).strip("-")
    return label[:63] or "moodspeaker"


@dataclass(frozen=True)
class Announcement:
    name: str  # the friendly instance name
    host: str  # e.g. "kitchen-speaker.local."
    port: int
    addresses: tuple[str, ...]


class Advertiser:
    """Registers the services on start() and withdraws them on stop()."""

    def __init__(
        self,
        device_name: str,
        port: int,
        *,
        host: str | None = None,
        interfaces: Sequence[str] | None = None,
        addresses: Sequence[str] | None = None,
    ) -> None:
        hostname = host_label(host or socket.gethostname())
        self.announcement = Announcement(
            name=friendly_name(device_name, hostname),
            host=f"{hostname}.local.",
            port=port,
            addresses=tuple(addresses or interfaces or local_addresses()),
        )
        self._interfaces = list(interfaces) if interfaces else None
        self._zc: Any = None  # zeroconf.Zeroconf (untyped library)
        self._infos: list[Any] = []
        self._lock = threading.RLock()
        self._closed = False

    def start(self) -> None:
        with self._lock:
            if self._closed:
                return
            if self._zc is None:
                self._zc = Zeroconf(
                    interfaces=zeroconf_interfaces(self._interfaces), ip_version=IPVersion.V4Only
                )
            self._register()

    def _register(self) -> None:
        self._infos = self._announce(self.announcement)
        a = self.announcement
        log.info("announced %r on the LAN as http://%s:%d/", a.name, a.host.rstrip("."), a.port)

    def _announce(self, a: Announcement) -> list[Any]:
        """Register `a` as both service types; if one fails, none stays registered (and it raises)."""
        # no software version: anyone browsing the LAN would read it without a request (the page hides it
        # from strangers too)
        properties = {"path": "/", "host": a.host.rstrip(".")}
        packed = [socket.inet_aton(ip) for ip in a.addresses if _is_ipv4(ip)]
        infos: list[Any] = []
        try:
            for service_type in (HTTP_TYPE, OWN_TYPE):
                info = ServiceInfo(
                    service_type,
                    f"{a.name}.{service_type}",
                    port=a.port,
                    addresses=packed,
                    server=a.host,
                    properties=properties,
                )
                # allow_name_change: two speakers both called "Kitchen" become "Kitchen-2", not an error.
                self._zc.register_service(info, allow_name_change=True)
                infos.append(info)
        except BaseException:
            self._withdraw(infos)
            raise
        return infos

    def _withdraw(self, infos: list[Any]) -> None:
        for info in infos:
            try:
                self._zc.unregister_service(info)
            except Exception as exc:
                log.warning("could not withdraw the zeroconf announcement %r: %s", info.name, exc)

    def rename(self, device_name: str) -> None:
        """Announce under a new friendly name (the speaker was renamed on the page).  The new name is
        announced before the old one is withdrawn: if it cannot be, the speaker stays findable under the
        old name (before, it vanished from the LAN until the next restart)."""
        with self._lock:
            a = self.announcement
            name = friendly_name(device_name, a.host.split(".", maxsplit=1)[0])
            if name == a.name or self._closed or self._zc is None:
                return
            new = Announcement(name=name, host=a.host, port=a.port, addresses=a.addresses)
            old = self._infos
            if name.lower() == a.name.lower():  # the same DNS name: it must go before it comes back
                self._withdraw(old)
                old = []
                try:
                    self._infos = self._announce(new)
                except BaseException:
                    self._infos = self._announce(a)
                    raise
            else:
                self._infos = self._announce(new)
            self.announcement = new
            self._withdraw(old)
            log.info("announced %r on the LAN instead of %r", new.name, a.name)

    def stop(self) -> None:
        """Withdraw the announcements for good (a later start() or rename() does nothing)."""
        with self._lock:
            self._closed = True
            zc, self._zc = self._zc, None
            self._infos.clear()
            if zc is None:
                return
            try:
                zc.unregister_all_services()
            finally:
                zc.close()


def _is_ipv4(ip: str) -> bool:
    try:
        socket.inet_aton(ip)
    except OSError:
        return False
    return ip.count(".") == 3
