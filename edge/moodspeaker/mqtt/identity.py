"""Who this speaker is on the network: its device id and a page URL that other machines can open.

The two functions here touch the system (the machine id file, the routing table); everything that
decides something from their answers is pure and lives in topics.py.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from moodspeaker.config.schema import Config
from moodspeaker.mqtt.topics import machine_id, resolve_device_id
from moodspeaker.util.net import route_source_address


def device_id_of(config: Config) -> str:
    """The configured device id, else one derived from the machine id (else from the host name)."""
    return resolve_device_id(config.device.id, machine_id(), socket.gethostname())


def lan_address() -> str | None:
    """This machine's address on its LAN (the source address of its default route), if it has one."""
    return route_source_address()


#: Names for this machine's loopback whatever the hosts file says (RFC 6761: *.localhost too), and
#: Debian's names for ::1
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
HOSTS_FILE = Path("/etc/hosts")


def is_loopback(host: str, hosts_file: Path = HOSTS_FILE) -> bool:
    """True for an address only this machine can reach: any loopback address however written (127.x,
    ::1 or 0:0:0:0:0:0:0:1, [::1], ::ffff:127.0.0.1), localhost in any case, a name under .localhost,
    and a name the hosts file gives loopback addresses only (Debian's own host name at 127.0.1.1).
    Names are compared without case, as the resolver does.  No DNS lookup: it could wait on a server
    out of reach, and a name a DNS server answers for is not this machine's alone."""
    name = host.strip().strip("[]").rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        if not name:
            return False
        return name in _LOOPBACK_NAMES or name.endswith(".localhost") or _loopback_in_hosts(name, hosts_file)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _loopback_in_hosts(name: str, hosts_file: Path) -> bool:
    """Whether the hosts file lists `name` (lower-case), at loopback addresses only."""
    try:
        lines = hosts_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return False
    found = []
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and name in (f.lower() for f in fields[1:]):
            try:
                found.append(ipaddress.ip_address(fields[0].split("%", 1)[0]).is_loopback)
            except ValueError:
                continue
    return bool(found) and all(found)


def reachable_url(url: str, address: Callable[[], str | None]) -> str:
    """The page's URL as Home Assistant (on another machine) can open it: loopback -> the LAN address.

    Without a LAN address there is none: '' (a loopback link in HA would open the viewer's own machine).
    """
    parts = urlsplit(url)
    if not is_loopback(parts.hostname or ""):
        return url
    lan = address()
    if not lan:
        return ""
    netloc = f"{lan}:{parts.port}" if parts.port else lan
    return urlunsplit(parts._replace(netloc=netloc))
