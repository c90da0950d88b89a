"""sd_notify against a real Unix datagram socket, the way systemd listens for it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from moodspeaker.system import sdnotify


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2.0)
    try:
        yield sock, path
    finally:
        sock.close()


def test_ready_watchdog_status_and_stopping_arrive(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    env = {"NOTIFY_SOCKET": path}
    assert sdnotify.ready("listening", env=env)
    assert sock.recv(4096) == b"READY=1\nSTATUS=listening"
    assert sdnotify.watchdog(env=env)
    assert sock.recv(4096) == b"WATCHDOG=1"
    assert sdnotify.status("3 tracks queued", env=env)
    assert sock.recv(4096) == b"STATUS=3 tracks queued"
    assert sdnotify.stopping(env=env)
    assert sock.recv(4096) == b"STOPPING=1"


def test_abstract_namespace_socket() -> None:
    name = f"moodspeaker-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(b"\0" + name.encode())
        sock.settimeout(2.0)
        assert sdnotify.notify("WATCHDOG=1", env={"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(64) == b"WATCHDOG=1"


def test_outside_systemd_every_call_is_a_quiet_no_op(tmp_path: Path) -> None:
    assert not sdnotify.ready(env={})
    assert not sdnotify.watchdog(env={"NOTIFY_SOCKET": "relative/path"})
    # A socket that vanished (service outlived its manager) is reported, not raised.
    assert not sdnotify.watchdog(env={"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})


def test_watchdog_interval_only_for_the_named_process() -> None:
    assert sdnotify.watchdog_interval(env={}) is None
    assert sdnotify.watchdog_interval(env={"WATCHDOG_USEC": "30000000"}) == 30.0
    mine = {"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}
    assert sdnotify.watchdog_interval(env=mine) == 20.0
    other = {"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid() + 1)}
    assert sdnotify.watchdog_interval(env=other) is None
    assert sdnotify.watchdog_interval(env={"WATCHDOG_USEC": "0"}) is None
