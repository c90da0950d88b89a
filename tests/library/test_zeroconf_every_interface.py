"""The page and the library server announce themselves on every interface, as on a real LAN.

Why: the other zeroconf tests pin the loopback (`interfaces=["127.0.0.1"]`) so nothing leaves the
machine, and so never took the default path: `Zeroconf(interfaces="all")`, which zeroconf 0.154 refuses
("choice must be a list or InterfaceChoice").  On a real speaker `moodspeaker run` then logged "could not
announce the page on the LAN" and `library discover` crashed.  Here the default path runs in a network
namespace this test makes (only its own loopback, multicast on), so it still sends nothing outside.
`library serve` on every address (0.0.0.0, "") is announced there too, naming every local address,
as before a server on one address was announced on that one only (test_zeroconf_one_address).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CHILD = textwrap.dedent(
    """
    from zeroconf import ServiceBrowser, Zeroconf

    from moodspeaker.library.lan.announce import Announcer, discover
    from moodspeaker.util.net import zeroconf_interfaces
    from moodspeaker_web.advertise import HTTP_TYPE, Advertiser

    library = Announcer("test library", 8765, ["127.0.0.1"])  # every interface: no `interfaces`
    library.start()
    try:
        print("library:", discover(5.0))
    finally:
        library.close()

    page = Advertiser("Kitchen", 8080, addresses=["127.0.0.1"])  # every interface
    page.start()
    names = []
    browser_zc = Zeroconf(interfaces=zeroconf_interfaces(None))
    try:
        class Seen:
            def add_service(self, zc, type_, name): names.append(name)
            def update_service(self, zc, type_, name): pass
            def remove_service(self, zc, type_, name): pass
        ServiceBrowser(browser_zc, HTTP_TYPE, Seen())
        import time
        deadline = time.monotonic() + 60  # generous: a loaded CI machine
        while not names and time.monotonic() < deadline:
            time.sleep(0.1)
        print("page:", names)
    finally:
        browser_zc.close()
        page.stop()
    """
)


SERVE_CHILD = textwrap.dedent(
    """
    import os, signal, subprocess, sys

    from moodspeaker.library.index import LibraryIndex
    from moodspeaker.library.lan.announce import discover
    from moodspeaker.util.net import local_addresses

    data = os.environ["DATA"]
    LibraryIndex(os.path.join(data, "library.db")).close()
    cmd = [sys.executable, "-m", "moodspeaker", "--set", f"device.data_dir={data}", "library", "serve",
           "--host", os.environ["HOST"], "--port", "8766"]
    serve = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        print("serving:", serve.stdout.readline().strip())
        print("library:", discover(60.0))  # generous: a loaded CI machine
        print("local:", [f"http://{a}:8766" for a in local_addresses()])
    finally:
        serve.send_signal(signal.SIGTERM)
        print("status:", serve.wait(timeout=60))
        print("stderr:", serve.stderr.read())
    """
)


def _namespace_works() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None or shutil.which("ip") is None:  # util-linux, iproute2 (make test installs both)
        return False
    probe = subprocess.run([unshare, "-n", "true"], check=False, capture_output=True, timeout=10)
    return probe.returncode == 0


def _in_namespace(child: str, **env: str) -> subprocess.CompletedProcess[str]:
    if not _namespace_works():
        pytest.skip("needs `unshare -n` (root or user namespaces) to make a private network")
    script = f'ip link set lo up && ip link set lo multicast on && exec {sys.executable} -c "$CHILD"'
    return subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        check=False,
        capture_output=True,
        text=True,
        timeout=240,
        env={"CHILD": child, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", **env},
    )


@pytest.mark.timeout(300)
def test_default_interfaces_announce_and_discover_in_a_namespace() -> None:
    done = _in_namespace(CHILD)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "library: ['http://127.0.0.1:8765']" in done.stdout, done.stdout + done.stderr[-2000:]
    assert "page: ['Moodspeaker (Kitchen" in done.stdout, done.stdout + done.stderr[-2000:]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("host", ["0.0.0.0", ""])
def test_library_serve_on_every_address_is_announced_with_every_local_address(
    tmp_path: Path, host: str
) -> None:
    done = _in_namespace(SERVE_CHILD, DATA=str(tmp_path), HOST=host)
    out = done.stdout + done.stderr[-2000:]
    assert done.returncode == 0, out
    assert "serving 0 tracks on http://127.0.0.1:8766 " in out, out
    assert "status: 0" in out and "zeroconf" not in out, out
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    assert lines["library"] == lines["local"] != "[]", out
