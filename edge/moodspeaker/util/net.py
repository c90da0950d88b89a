"""Network helpers shared by the LAN library server, the phone page and MQTT (zeroconf announcements,
who a client is, which Host names are the speaker's, which hosts only this machine can reach)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:  # zeroconf is an optional extra (`lan`): imported only where it is used
    from zeroconf import InterfaceChoice


def route_source_address(target: str = "192.0.2.1") -> str | None:
    """The source address of this machine's route to `target` (by default TEST-NET-1, never routed
    anywhere: the default route's, i.e. the LAN address), if it has one.

    Connecting a UDP socket sends nothing; it only asks the kernel which interface would be used.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((target, 9))
            address = str(s.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


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
    # The default route's address, and a 10/8 one for a LAN without a default route (offline homes).
    for target in ("192.0.2.1", "10.255.255.255"):
        route = route_source_address(target)
        if route:
            found.add(route)
    return sorted(ip for ip in found if not ip.startswith("127.") and ip != "0.0.0.0") or ["127.0.0.1"]


def zeroconf_interfaces(interfaces: Sequence[str] | None) -> list[str] | InterfaceChoice:
    """What to hand Zeroconf(interfaces=...): the addresses given (tests: the loopback only), else every
    interface.  Every interface is `InterfaceChoice.All`: zeroconf releases since 0.1xx refuse the string
    "all" ("choice must be a list or InterfaceChoice"), which left the page and the library server
    unannounced on a real LAN while the loopback-only tests passed."""
    from zeroconf import InterfaceChoice  # noqa: PLC0415  (optional extra; callers already need it)

    return list(interfaces) if interfaces else InterfaceChoice.All


def one_address(bound: str) -> str | None:
    """The address a server listens on (`bound`), when it is one specific address, else None (every
    address: "0.0.0.0", "", "::", or a host name).  The phone page and the LAN library server are then
    announced on that address's interface only, naming that address only: announced on every interface
    with every local address, they sent phones and speakers on other networks to addresses they do not
    answer on."""
    try:
        ip = ipaddress.ip_address(bound)
    except ValueError:
        return None
    return None if ip.is_unspecified else str(ip)


def client_network(address: str) -> str:
    """Who a client address stands for, when requests are counted per client: the address itself (an
    IPv4-mapped IPv6 address as its IPv4 one).  An IPv6 address is not widened to its /64: on a home
    LAN every device's address is in the same /64 (and link-local ones in fe80::/64), so counting per
    /64 made the household one client.  A device rotating its own addresses is bounded by the caps
    over all clients instead (LoginLimiter.global_max, the servers' MAX_CONNECTIONS)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


#: Home-network name endings a phone may use for the speaker (mDNS, routers' local DNS, RFC 8375).
HOME_SUFFIXES = (".local", ".lan", ".home", ".home.arpa", ".internal", ".localdomain")


def host_allowed(host_header: str, extra: Sequence[str] = ()) -> bool:
    """Is the Host header a name or address of this machine on the home network?  (`extra`: more
    names the owner allows.)  The phone page and the LAN library server refuse other names, so a web
    site that re-points its own name at this machine's address (DNS rebinding) cannot talk to them from
    a visitor's browser."""
    host = host_header.strip().lower()
    if host.startswith("["):  # [IPv6]:port
        host = host[1 : host.find("]")] if "]" in host else ""
    elif host.count(":") == 1:
        host = host.rsplit(":", 1)[0]
    host = host.rstrip(".")
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    if host in {"localhost", socket.gethostname().lower()} or host in {h.lower() for h in extra}:
        return True
    if "." not in host:  # a bare name from the router's DNS, e.g. http://kitchen/
        return True
    return host.endswith(HOME_SUFFIXES)


#: What a URL's password is replaced with wherever a URL is shown (config show, the page, its export).
MASK = "********"

#: Settings that list URLs which may carry a password (shown masked, kept when the mask is sent back).
URL_LISTS = frozenset({"library.servers"})
#: How an entry of library.servers names an OpenSubsonic server: subsonic+http(s)://user:password@host
SUBSONIC_PREFIX = "subsonic+"


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


def server_url_problem(url: str) -> str:
    """Why an entry of library.servers cannot be used as written ('' when it can, or when it is not a
    server URL at all: refused where the server is opened), in a sentence that shows it with its
    password masked.  An OpenSubsonic server's URL needs a user name to log in with
    (subsonic+http://user:password@host:port).  A Moodspeaker library server's carries none
    (http://host:port): the server asks for no login, urllib took `user:password@` for part of the
    host name, and the URL, password and all, named the server's mirror folder and its errors."""
    subsonic = url.startswith(SUBSONIC_PREFIX)
    rest = url.removeprefix(SUBSONIC_PREFIX)
    if not subsonic and not rest.startswith(("http://", "https://")):
        return ""
    try:
        parts = urlsplit(rest)
    except ValueError:  # not a URL at all: refused when the server is opened, as any bad URL
        return ""
    if subsonic:
        if parts.username:
            return ""
        lacking = "a password but no user name" if parts.password else "no user name"
        return (
            f"{mask_url(url)!r} has {lacking}: an OpenSubsonic server's URL is "
            "subsonic+http://user:password@host:port"
        )
    if "@" not in parts.netloc:
        return ""
    return (
        f"{mask_url(url)!r} has a user name or password: a Moodspeaker library server's URL is "
        "http://host:port (it asks for no login; an OpenSubsonic server's is subsonic+http://user:password@host:port)"
    )


#: Names for this machine's loopback whatever the hosts file says (RFC 6761: *.localhost too), and
#: Debian's names for ::1
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
HOSTS_FILE = Path("/etc/hosts")


def is_loopback(host: str, hosts_file: Path = HOSTS_FILE) -> bool:
    """True for an address only this machine can reach: any loopback address however written (127.x,
    the shorthand 127.1 and the other forms the socket library takes, ::1 or 0:0:0:0:0:0:0:1, [::1],
    ::ffff:127.0.0.1), localhost in any case, a name under .localhost,
    and a name the hosts file gives loopback addresses only (Debian's own host name at 127.0.1.1).
    Names are compared without case, as the resolver does.  No DNS lookup: it could wait on a server
    out of reach, and a name a DNS server answers for is not this machine's alone."""
    name = host.strip().strip("[]").rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        if not name:
            return False
        shorthand = _ipv4_shorthand(name)
        if shorthand is not None:
            return shorthand.is_loopback
        return name in _LOOPBACK_NAMES or name.endswith(".localhost") or _loopback_in_hosts(name, hosts_file)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


#: The characters of an IPv4 address in a form inet_aton takes (127.1, 0x7f.1, 2130706433, 0177.0.0.1)
_SHORTHAND_CHARS = frozenset("0123456789abcdefx.")


def _ipv4_shorthand(name: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address `name` is in one of the older forms the socket library connects to though
    `ipaddress` refuses them (inet_aton's: 127.1 is 127.0.0.1, a number, hexadecimal or octal parts);
    None when it is none.  Only those characters: glibc's inet_aton ignores what follows a space."""
    if not set(name) <= _SHORTHAND_CHARS:
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(name))
    except OSError:
        return None


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
