"""systemd's service notification protocol (sd_notify) in pure Python, for Type=notify units.

Why not a library: the protocol is one datagram on a Unix socket named by $NOTIFY_SOCKET, and the
service must keep working unchanged outside systemd (a laptop, a test), where every call is a no-op.

How the running service uses it (firmware/systemd/moodspeaker.service has Type=notify and
WatchdogSec=): call `ready()` once the capture loop runs, call `watchdog()` from the main loop each
time a loop iteration really completed (never from a separate timer thread, or a stuck loop would
still look alive) at least every `watchdog_interval()/2` seconds, and `stopping()` on shutdown.
"""

from __future__ import annotations

import logging
import os
import socket

log = logging.getLogger(__name__)

ENV_SOCKET = "NOTIFY_SOCKET"


def _address(raw: str) -> str | bytes:
    """An abstract-namespace socket is written with a leading '@' and addressed with a NUL byte."""
    if raw.startswith("@"):
        return b"\0" + raw[1:].encode()
    return raw


def notify(message: str, *, env: dict[str, str] | None = None) -> bool:
    """Send one notification such as "READY=1"; False (and nothing sent) when not run by systemd.

    Never raises: a lost notification must not take the appliance down (systemd will notice the
    missing watchdog ping and restart it, which is the right outcome).
    """
    environ = os.environ if env is None else env
    raw = environ.get(ENV_SOCKET, "")
    if not raw or not (raw.startswith("/") or raw.startswith("@")):
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(_address(raw))
            sock.sendall(message.encode("utf-8"))
    except OSError as exc:
        log.warning("sd_notify to %s failed: %s", raw, exc)
        return False
    return True


def ready(status: str = "", *, env: dict[str, str] | None = None) -> bool:
    """Tell systemd the service is up (Type=notify units count as started only after this)."""
    return notify("READY=1" + (f"\nSTATUS={status}" if status else ""), env=env)


def watchdog(*, env: dict[str, str] | None = None) -> bool:
    """One watchdog keep-alive; systemd restarts the unit if none arrives within WatchdogSec."""
    return notify("WATCHDOG=1", env=env)


def status(text: str, *, env: dict[str, str] | None = None) -> bool:
    """A one-line status shown by `systemctl status`."""
    return notify(f"STATUS={text}", env=env)


def stopping(*, env: dict[str, str] | None = None) -> bool:
    """Tell systemd a clean shutdown has begun (no watchdog restarts while stopping)."""
    return notify("STOPPING=1", env=env)


def watchdog_interval(*, env: dict[str, str] | None = None) -> float | None:
    """Seconds within which systemd expects a ping ($WATCHDOG_USEC), or None without a watchdog.

    $WATCHDOG_PID, when set, names the process the watchdog is meant for; another process (a
    worker forked by the service) must not ping on its behalf.
    """
    environ = os.environ if env is None else env
    usec = environ.get("WATCHDOG_USEC", "")
    pid = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 1_000_000
