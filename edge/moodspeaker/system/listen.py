"""Opening a listening TCP socket ourselves, so "port already in use" becomes our own one-line message.

werkzeug's `make_server` binds the port itself and, when that fails, prints its own advice ("Either
identify and stop that program, or start the server with a different port") and calls `sys.exit(1)`:
a `SystemExit`, not an `OSError`, so the caller cannot name the setting or option that changes the
port.  Binding here first and handing werkzeug the descriptor (`fd=`), or checking the port before
starting, keeps the failure an `OSError` the commands can explain.  The servers themselves are made in
system/guarded (werkzeug comes with flask, not with the core).
"""

from __future__ import annotations

import errno
import socket

#: werkzeug's own listen backlog (werkzeug.serving.LISTEN_QUEUE)
_BACKLOG = 128


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) and listening, as werkzeug would open it; OSError if not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # like werkzeug (allow_reuse_address): a restart does not wait for TIME_WAIT; on Linux this
        # still refuses a port another program listens on
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def check_port_free(host: str, port: int) -> None:
    """Raise the OSError binding (host, port) would raise now (port 0 always succeeds)."""
    listening_socket(host, port).close()


def in_use(exc: OSError) -> bool:
    """The error is "address already in use" (another program, or another Moodspeaker, has the port)."""
    return exc.errno == errno.EADDRINUSE
