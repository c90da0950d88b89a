"""The runner under systemd: READY, watchdog pings only while the appliance is healthy, STOPPING.

systemd is played by a real Unix datagram socket named in $NOTIFY_SOCKET, as systemd itself listens.
"""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from servicekit import Script, build, wait_for

from moodspeaker.service.control import ControlAPI
from moodspeaker.service.runner import serve_until_signal

WAIT_S = 30.0  # generous: CI machines are busy


class Systemd:
    """Reads every notification as it arrives (as systemd does: a full socket would block the
    sender), so the test can wait for one and see what came after a mark it sent itself."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.received: list[bytes] = []
        self._cond = threading.Condition()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(path)
        self._sock.settimeout(0.2)
        self._closed = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closed:
            try:
                data = self._sock.recv(4096)
            except TimeoutError:
                continue
            with self._cond:
                self.received.append(data)
                self._cond.notify_all()

    def mark(self) -> int:
        """Send a mark through the same socket: whatever was sent before it is received before it."""
        token = f"MARK={len(self.received)}-{id(self)}".encode()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.sendto(token, self.path)
        return self.wait_for(token)

    def wait_for(self, message: bytes, after: int = -1) -> int:
        """Index of the first `message` received after index `after` (waits for it)."""
        with self._cond:
            found = self._cond.wait_for(
                lambda: (
                    next((i for i, m in enumerate(self.received) if i > after and m == message), None)
                    is not None
                ),
                WAIT_S,
            )
            assert found, f"no {message!r} after #{after}: {self.received[after + 1 :][-20:]}"
            return next(i for i, m in enumerate(self.received) if i > after and m == message)

    def since(self, index: int) -> list[bytes]:
        with self._cond:
            return self.received[index + 1 :]

    def close(self) -> None:
        self._closed = True
        self._thread.join(5)
        self._sock.close()


@pytest.fixture
def systemd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Systemd]:
    listener = Systemd(str(tmp_path / "notify.sock"))
    monkeypatch.setenv("NOTIFY_SOCKET", listener.path)
    try:
        yield listener
    finally:
        listener.close()


def said_until(said: queue.Queue[str], text: str) -> None:
    while text not in said.get(timeout=WAIT_S):
        pass


def test_watchdog_pings_stop_while_inference_stays_stuck_and_resume(tmp_path: Path, systemd: Systemd) -> None:
    script = Script("happy")
    app, bus = build(tmp_path, script, **{"web.enabled": False})
    said: queue.Queue[str] = queue.Queue()
    stop = threading.Event()
    runner = threading.Thread(
        target=serve_until_signal,
        args=(app, ControlAPI(app, bus), bus, app.config, tmp_path / "data"),
        kwargs={"say": said.put, "stop": stop, "tick_s": 0.05},
    )
    runner.start()
    try:
        ready = systemd.wait_for(b"READY=1")
        assert ready == 0  # systemd hears nothing before READY
        systemd.wait_for(b"WATCHDOG=1", after=ready)
        wait_for(lambda: app.stage.frames > 0, what="a first classification")

        script.stuck.set()  # every step hangs now, however often the stage is restarted
        said_until(said, "not telling systemd we are alive: inference is still stuck after")
        quiet_from = systemd.mark()
        restarts = app.watchdog.restarts
        wait_for(lambda: app.watchdog.restarts >= restarts + 2, what="more restarts")
        assert app.liveness_problem()
        assert b"WATCHDOG=1" not in systemd.since(quiet_from)

        script.stuck.clear()
        script.release.set()  # the accelerator answers again: a step completes
        said_until(said, "watchdog: healthy again")
        systemd.wait_for(b"WATCHDOG=1", after=quiet_from)
        assert app.liveness_problem() == ""
    finally:
        stop.set()
        script.release.set()
        runner.join(WAIT_S)
    assert not runner.is_alive()
    stopping = systemd.wait_for(b"STOPPING=1")
    assert b"WATCHDOG=1" not in systemd.since(stopping)


def test_a_dead_player_thread_stops_the_pings(tmp_path: Path) -> None:
    app, _bus = build(tmp_path, Script("happy"))
    app.start()
    try:
        assert app.liveness_problem() == ""
        app.player.close()  # what a bug escaping the player's loop would leave behind
        assert app.liveness_problem() == "the player thread has stopped"
    finally:
        app.stop()
