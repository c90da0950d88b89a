"""The page's port and address, checked before `run` or `demo` starts anything: one line in our words
when the page could not listen.

A speaker (or a demo) asked to serve its page where it cannot refuses to start and says which port or
address, where it came from and how to change it (`--port`, the web.port or web.host setting), rather
than run on without the page: the service alone would only log "running without it" (the right thing
for a port lost later, not for one that was never to be had), and the demo then ran on with exit
status 0 and no page a newcomer could open.

Every reason is refused, not only "in use": a port below 1024 that the speaker's user may not open
(web.port = 80 without the right to it) and an address this machine does not have (web.host set to the
Pi's old address) leave the speaker just as pageless, and the page is where its owner sets it up and
controls it.  The one who just changed the setting is the one who sees the refusal (their terminal,
`systemctl status`), and the fix is one command; a speaker quietly without its page is found out
only later, from a phone that cannot reach it.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path

from moodspeaker.config import Config

#: Where Linux keeps the first port any user may open (1024 unless the administrator lowered it).
UNPRIVILEGED_START = Path("/proc/sys/net/ipv4/ip_unprivileged_port_start")


def _first_open_port() -> int:
    try:
        return int(UNPRIVILEGED_START.read_text())
    except (OSError, ValueError):
        return 1024


def _host_hint(setting_hint: str) -> str:
    """How this command changes web.host, from how it changes web.port (the same command or file)."""
    return setting_hint.replace("web.port=N", "web.host=ADDRESS").replace("web.port", "web.host")


def web_port_problem(config: Config, port_option: int | None, *, setting_hint: str) -> str | None:
    """Why the page cannot listen, in one line naming what changes the port or address; None when it can.

    `port_option` is --port (None: not given); `setting_hint` says how this command changes web.port
    (`moodspeaker config set web.port=N` for the speaker, the demo's own settings file for the demo);
    web.host is changed the same way.
    """
    from moodspeaker.system.listen import check_port_free, in_use

    host = config.web.host
    port = config.web.port if port_option is None else port_option
    if not config.web.enabled or port == 0:
        return None
    try:
        check_port_free(host, port)
    except OSError as exc:
        where = "given with --port" if port_option is not None else "the web.port setting"
        change_port = f"choose another port with --port N or {setting_hint} (--no-web: no page)"
        change_host = (
            f"set web.host to one of this machine's addresses, or 0.0.0.0 for all of them, with "
            f"{_host_hint(setting_hint)} (--no-web: no page)"
        )
        if in_use(exc):
            taken = f"port {port} for the web page ({where}) is already in use by another program"
            return f"{taken}; stop it, or {change_port}"
        if exc.errno in {errno.EACCES, errno.EPERM}:
            first = _first_open_port()
            return (
                f"port {port} for the web page ({where}) may be opened only with administrator rights "
                f"(ports below {first}); {change_port.replace('another port', f'a port from {first} up')}"
            )
        if exc.errno == errno.EADDRNOTAVAIL:
            foreign = f"{host} (the web.host setting): it is not an address of this machine"
            return f"the web page cannot listen on {foreign}; {change_host}"
        if isinstance(exc, socket.gaierror):
            unknown = f"{host!r} (the web.host setting): no such host name ({exc.strerror})"
            return f"the web page cannot listen on {unknown}; {change_host}"
        return (
            f"the web page cannot listen on {host} port {port} ({exc.strerror or exc}); {change_port}, "
            f"or {change_host.removesuffix(' (--no-web: no page)')}"
        )
    return None


def resolve_host(host: str) -> str:
    """The address the page's `host` setting names, looked up as binding it looks it up
    (system.listen: IPv4 unless it holds a ':'); an address (or "") is returned as it is, with no
    look-up.  Raises OSError (socket.gaierror) for a name that names none.  A name's look-up may
    take the resolver's whole timeout (a slow or unreachable DNS server): done before a save's lock."""
    if not needs_lookup(host):
        return host
    return str(socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)[0][4][0])


def needs_lookup(host: str) -> bool:
    """Whether binding `host` looks a name up: not an address (IPv4, or IPv6 with its ':'), nor ""."""
    if not host or ":" in host:
        return False
    try:
        socket.inet_pton(socket.AF_INET, host)
    except OSError:
        return True
    return False


def page_listen_problem(
    host: str, port: int, *, listening_port: int | None, address: str | OSError
) -> tuple[str, str] | None:
    """Why `run` would refuse to start with the page on (host, port), as the page's Settings says it
    under the field at fault: ("web.port" or "web.host", sentence); None when it could listen.

    `address` is what `resolve_host(host)` gave (the address, or the error that the name names
    none), looked up beforehand: only the bind, which waits on nothing, is made here.
    `listening_port` is the port the page itself is on now (None: not known): that one is taken by
    the page, which gives it up when the speaker restarts, so only the address is checked with it.
    """
    from moodspeaker.system.listen import check_port_free, in_use

    if port == 0:
        return None
    ours = port == listening_port
    try:
        if isinstance(address, OSError):
            raise address
        check_port_free(address, 0 if ours else port)
    except OSError as exc:
        after = "the speaker would not start at its next restart (it needs its page), until changed over SSH"
        if in_use(exc):
            return "web.port", (
                f"Port {port} is already in use by another program on the speaker: {after}. "
                "Choose another port, or stop that program first."
            )
        if exc.errno in {errno.EACCES, errno.EPERM}:
            first = _first_open_port()
            return "web.port", (
                f"Port {port} may be opened only with administrator rights (ports below {first}), which "
                f"the speaker does not have: {after}. Choose a port from {first} up, e.g. 8080."
            )
        if exc.errno == errno.EADDRNOTAVAIL:
            return "web.host", (
                f"{host} is not an address of this speaker: {after}. Use one of its addresses, or "
                "0.0.0.0 for all of them."
            )
        if isinstance(exc, socket.gaierror):
            return "web.host", (
                f"{host!r} is not a host name this speaker knows ({exc.strerror}): {after}. Use one of "
                "its addresses, or 0.0.0.0 for all of them."
            )
        return "web.port", (
            f"The page cannot listen on {host} port {port} ({exc.strerror or exc}): {after}. Choose "
            "another port or address."
        )
    return None
