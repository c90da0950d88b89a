"""A port another program holds: one line naming the port and what changes it, not werkzeug's text.

werkzeug, when it cannot bind, prints "Either identify and stop that program, or start the server with
a different port" and exits; neither `library serve`'s own message nor the names of the settings
reached the owner.  A real listening socket on a loopback port, the real commands in a subprocess.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from moodspeaker.library.index import LibraryIndex


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "moodspeaker", "--set", f"device.data_dir={tmp_path / 'data'}", *args]
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=240, check=False)


def _error_lines(stderr: str) -> list[str]:
    """stderr without log records (time-stamped lines) and third-party notes."""
    return [line for line in stderr.splitlines() if line.strip() and not line[:2].isdigit()]


def test_library_serve_on_a_taken_port(tmp_path: Path, taken_port: int) -> None:
    LibraryIndex(tmp_path / "data" / "library.db").close()  # a library to serve (none: refused before)
    res = _cli(
        tmp_path, "library", "serve", "--host", "127.0.0.1", "--port", str(taken_port), "--no-zeroconf"
    )
    assert res.returncode == 2, res.stderr
    (line,) = _error_lines(res.stderr)
    assert line.startswith("library serve: ") and f"port {taken_port} " in line
    assert "--port" in line and "library.serve_port" in line and "in use" in line
    assert "Either identify" not in res.stderr


@pytest.mark.parametrize("by_option", [False, True])
def test_run_on_a_taken_web_port(tmp_path: Path, taken_port: int, by_option: bool) -> None:
    where = ["run", "--port", str(taken_port)] if by_option else ["--set", f"web.port={taken_port}", "run"]
    res = _cli(tmp_path, "--set", "web.host=127.0.0.1", *where, "--no-mqtt")
    assert res.returncode == 1, res.stderr
    lines = [line for line in _error_lines(res.stderr) if "moodspeaker run" in line or "port" in line]
    (line,) = lines
    assert f"port {taken_port} " in line and "--port" in line and "web.port" in line
    assert ("given with --port" in line) == by_option
    assert "Either identify" not in res.stderr


@pytest.mark.parametrize("by_option", [False, True])
def test_demo_on_a_taken_web_port(tmp_path: Path, taken_port: int, by_option: bool) -> None:
    """The demo ran on without its page (exit 0, the service's "running without it" in passing); it
    now refuses at once, before analysing its library.  The page listens on 0.0.0.0 (web.host's
    default) while the other program holds only the loopback address: still taken."""
    where = ["demo", "--port", str(taken_port)] if by_option else ["--set", f"web.port={taken_port}", "demo"]
    res = _cli(tmp_path, *where, "--seconds", "1")
    assert res.returncode == 1, res.stdout + res.stderr
    (line,) = _error_lines(res.stderr)
    assert line.startswith("moodspeaker demo: port ") and f"port {taken_port} " in line
    assert "--port" in line and "web.port" in line and str(tmp_path / "data" / "demo" / "config.toml") in line
    assert ("given with --port" in line) == by_option
    assert "Traceback" not in res.stderr and "Either identify" not in res.stderr
    assert "analys" not in res.stdout  # refused before the library, not after
