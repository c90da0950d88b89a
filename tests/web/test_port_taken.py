"""The page's port already taken is an OSError the service can report, not werkzeug's exit.

Why: werkzeug's make_server, binding the port itself, prints its own advice and calls sys.exit(1) when
the port is in use.  `moodspeaker run` checks the port at start, but a port taken later (web.port changed
while running, or another program starting first after a restart of the page) raised SystemExit through
serve(), past service/runner.start_web's "cannot listen ...; running without it", and ended the speaker.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from webkit import serve_home


def test_a_taken_port_raises_oserror_and_leaves_nothing_open(tmp_path: Path) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    port = taken.getsockname()[1]
    try:
        with pytest.raises(OSError) as caught:
            serve_home(tmp_path, port)
        assert "in use" in str(caught.value).lower(), caught.value
    finally:
        taken.close()
    # the port is free again: nothing of the failed page kept it
    socket.create_server(("127.0.0.1", port)).close()


def test_the_page_still_serves_on_a_free_port(tmp_path: Path) -> None:
    server = serve_home(tmp_path, 0)
    try:
        assert server.port > 0
        with socket.create_connection(("127.0.0.1", server.port), timeout=5):
            pass
    finally:
        server.stop()
