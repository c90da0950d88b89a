"""Network helpers shared by the LAN library server and the phone page's zeroconf announcements."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # zeroconf is an optional extra (`lan`): imported only where it is used
    from zeroconf import InterfaceChoice


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (best effort; sends nothing).

    Used to announce a service on the LAN; falls back to loopback on a machine without a network.
    """
    found: set[str] = set()
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    except OSError:
        pass
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))  # a UDP connect sends nothing; it only picks a route
        found.add(str(probe.getsockname()[0]))
    except OSError:
        pass
    finally:
        probe.close()
    return sorted(ip for ip in found if not ip.startswith("127.")) or ["127.0.0.1"]


def zeroconf_interfaces(interfaces: Sequence[str] | None) -> list[str] | InterfaceChoice:
    """What to hand Zeroconf(interfaces=...): the addresses given (tests: the loopback only), else every
    interface.  Every interface is `InterfaceChoice.All`: zeroconf releases since 0.1xx refuse the string
    "all" ("choice must be a list or InterfaceChoice"), which left the page and the library server
    unannounced on a real LAN while the loopback-only tests passed."""
    from zeroconf import InterfaceChoice  # noqa: PLC0415  (optional extra; callers already need it)

    return list(interfaces) if interfaces else InterfaceChoice.All


#: What a URL's password is replaced with wherever a URL is shown (config show, the page, its export).
MASK = "********"


def mask_url(url: str) -> str:
    """The URL with its password (OpenSubsonic servers in library.servers carry one) replaced by MASK."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return url
    if not password:
        return url
    user = parts.username or ""
    netloc = parts.netloc.replace(f"{user}:{password}@", f"{user}:{MASK}@", 1)
    return parts._replace(netloc=netloc).geturl()
