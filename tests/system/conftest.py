"""Fixtures of the system tests: a real Mosquitto on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from polling import until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(name="free_port")
def free_port_fixture() -> Callable[[], int]:
    """A loopback port nothing listens on (yet)."""
    return free_port


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Callable[..., int]]:
    """Start a real broker: `port = mosquitto(anonymous=True)`; stopped after the test."""
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(exe).exists():
        pytest.fail("mosquitto is not installed (it is in the Makefile's APT_TEST)")
    procs: list[subprocess.Popen[bytes]] = []

    def start(*, anonymous: bool = True) -> int:
        port = free_port()
        conf = tmp_path / f"mosquitto-{port}.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous {'true' if anonymous else 'false'}\n")
        proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            except OSError:
                return False
            return True

        until(listening, 30, f"mosquitto to start listening on port {port}", interval=0.05)
        return port

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
