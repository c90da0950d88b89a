"""The test broker: /usr/sbin/mosquitto on a free loopback port with a generated config, TLS material
for it, and the moodspeaker Config that points a bridge at it.

No persistence, so a restart really loses the broker's retained messages: whatever comes back was
re-announced. Certificates are made with `openssl` in the test's temp dir (passwords with
`mosquitto_passwd` are the TLS/auth tests' own).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodspeaker.config import Config, with_changes

MOSQUITTO = "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"mosquitto did not listen on {port}")


class Mosquitto:
    """One broker process; `extra` lines go into its listener section."""

    def __init__(self, workdir: Path, extra: str = "", port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.conf = workdir / f"mosquitto-{self.port}.conf"
        self.log = workdir / f"mosquitto-{self.port}.log"

    def start(self) -> None:
        # As root, mosquitto would drop to the `mosquitto` user, who cannot read the test's temp files.
        user = "user root\n" if os.geteuid() == 0 else ""
        self.conf.write_text(
            user + "per_listener_settings false\n"
            "persistence false\n"
            f"log_dest file {self.log}\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
            f"listener {self.port} 127.0.0.1\n{self.extra}\n"
        )
        if "allow_anonymous" not in self.extra:
            with self.conf.open("a") as f:
                f.write("allow_anonymous true\n")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stderr=subprocess.PIPE)
        try:
            wait_port(self.port)
        except TimeoutError:
            self.proc.kill()
            err = self.proc.stderr.read().decode() if self.proc.stderr else ""
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"mosquitto failed to start: {err}\n{log}") from None

    def stop(self) -> None:
        if self.proc is not None:
            self.thaw()  # frozen, it would take SIGTERM only once continued
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            if self.proc.stderr:
                self.proc.stderr.close()
            self.proc = None

    def kill(self) -> None:
        """SIGKILL: gone at once, as a crash (frozen or not; no MQTT goodbye, the kernel just closes its
        connections); start() runs a new one on the same port."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            if self.proc.stderr:
                self.proc.stderr.close()
            self.proc = None

    def logged(self, text: str) -> int:
        """How many lines of the broker's log contain `text` so far (mosquitto writes each line at once;
        its error, warning and notice lines are logged, e.g. a refused TLS handshake and why)."""
        if not self.log.exists():
            return 0
        return sum(text in line for line in self.log.read_text(errors="replace").splitlines())

    def freeze(self) -> None:
        """SIGSTOP: the connections stay open and nothing is answered (a hung broker, a stalled link)."""
        assert self.proc is not None, "the broker is not running"
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self) -> None:
        """SIGCONT: a frozen broker goes on (nothing happens to a running one)."""
        if self.proc is not None:
            os.kill(self.proc.pid, signal.SIGCONT)

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """Frozen for the block, and going on after it, also when the block fails (a broker left
        frozen would hold the test's teardown: every stop waits for it)."""
        self.freeze()
        try:
            yield
        finally:
            self.thaw()

    def restart(self, down_s: float = 0.0) -> None:
        self.stop()
        time.sleep(down_s)
        self.start()


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(d: Path) -> Pki:
    """A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Test CA",
             "-keyout", "ca.key", "-out", "ca.crt", cwd=d)  # fmt: skip
    (d / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, cn in (("server", "localhost"), ("client", "moodspeaker-test-client")):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)  # fmt: skip
        ext = ["-extfile", "server.ext"] if name == "server" else []
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", *ext, cwd=d)  # fmt: skip
    return Pki(d / "ca.crt", d / "server.crt", d / "server.key", d / "client.crt", d / "client.key")


def mqtt_config(port: int, **extra: Any) -> Config:
    changes = {
        "mqtt.enabled": True,
        "mqtt.host": "127.0.0.1",
        "mqtt.port": port,
        "mqtt.reconnect_max_s": 1.0,
        "device.name": "Test Speaker",
    }
    changes.update({k.replace("__", "."): v for k, v in extra.items()})
    return with_changes(Config(), changes)
