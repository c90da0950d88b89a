"""`moodspeaker library serve --host ADDR` is announced by mDNS on ADDR's interface only, naming ADDR only.

Why: the server listened on ADDR only but its announcement went out on every interface, so phones and
speakers on other networks were told of a server they cannot reach (the phone page had the same fault,
fixed in 04d8872: tests/web/test_zeroconf.py).  A host name counts as the address it listens on
(localhost: the loopback; before, it was announced on every interface with no address at all); an IPv6
address is not announced, the announcement being IPv4 only (before, it went out on every interface,
again with no address).  The real command in this process, with real zeroconf on the loopback: the
machine's other addresses are made up, and an announcement beyond the loopback is refused before
anything is sent (tests stay on the loopback).  The command's SIGTERM handler is caught and called
once the announcement has been looked up, so the test stops it as systemd would.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lankit import needs_ipv6_loopback
from zeroconf import IPVersion, Zeroconf

from moodspeaker.commands import library
from moodspeaker.config import Config, with_changes
from moodspeaker.library import db_path
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan import SERVICE_TYPE, announce
from moodspeaker.util import net
from moodspeaker.util.net import zeroconf_interfaces
from polling import until

pytestmark = pytest.mark.timeout(240)

NAME = f"Porch {os.getpid() % 10000}"


class Served:
    """What `library serve --host HOST` did: its exit status, where it asked to announce, what a
    browser on the loopback resolved its announcement to (None: nothing answered), what it said."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.asked: list[object] = []
        self.addresses: list[str] | None = None
        self.port: int | None = None
        self.out = ""
        self.err = ""


def _resolve(served: Served) -> None:
    zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        info = zc.get_service_info(SERVICE_TYPE, f"{NAME} library.{SERVICE_TYPE}", timeout=30_000)
    finally:
        zc.close()
    if info is not None:
        served.addresses = list(info.parsed_addresses(IPVersion.V4Only))
        served.port = info.port


def _serve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> Served:
    served = Served()
    monkeypatch.setattr(net, "local_addresses", lambda: ["192.0.2.7"])

    def loopback_only(interfaces: list[str] | None) -> object:
        served.asked.append(interfaces)
        if interfaces != ["127.0.0.1"]:
            raise OSError(f"announced on {interfaces or 'every interface'}, not on the loopback only")
        return zeroconf_interfaces(interfaces)

    monkeypatch.setattr(announce, "zeroconf_interfaces", loopback_only)
    stops: list[Callable[..., Any]] = []
    real_signal = signal.signal

    def caught(sig: int, handler: Any) -> Any:
        if sig == signal.SIGTERM:  # not this test process's handler: called below instead
            stops.append(handler)
            return signal.SIG_DFL
        return real_signal(sig, handler)

    monkeypatch.setattr(signal, "signal", caught)
    config = with_changes(Config(), {"device.data_dir": str(tmp_path / "data"), "device.name": NAME})
    db_path(config).parent.mkdir(parents=True)
    LibraryIndex(db_path(config)).close()
    parser = argparse.ArgumentParser()
    library.add_arguments(parser)
    args = parser.parse_args(["serve", "--host", host, "--port", "0"])
    ended = threading.Event()

    def look_then_stop() -> None:
        until(lambda: stops or ended.is_set(), timeout=180, what="library serve to be ready or to end")
        if not stops:
            return
        try:
            if served.asked:  # an announcement was made: what does a browser on the loopback see?
                _resolve(served)
        finally:
            stops[0](signal.SIGTERM, None)

    looker = threading.Thread(target=look_then_stop, name="look-then-stop")
    looker.start()
    try:
        served.status = library.run(args, config)
    finally:
        ended.set()
        looker.join(timeout=120)
    served.out, served.err = capsys.readouterr()
    return served


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_server_on_one_address_is_announced_there_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], host: str
) -> None:
    served = _serve(tmp_path, monkeypatch, capsys, host)
    assert served.status == 0, served.err
    assert "zeroconf announcement failed" not in served.err, served.err  # before: on every interface
    assert served.asked == [["127.0.0.1"]]
    assert served.addresses == ["127.0.0.1"]  # not the made-up 192.0.2.7
    assert f"on http://{host}:{served.port} " in served.out, served.out


def test_a_server_on_one_ipv6_address_is_not_announced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    needs_ipv6_loopback()
    served = _serve(tmp_path, monkeypatch, capsys, "::1")
    assert served.status == 0, served.err
    assert served.asked == []  # before: [None], every interface, with no address to name
    assert "not announced on the LAN" in served.err and "::1" in served.err, served.err
    assert "serving 0 tracks on http://[::1]:" in served.out, served.out
