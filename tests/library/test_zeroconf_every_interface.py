"""The page and the library server announce themselves on every interface, as on a real LAN.

Why: the other zeroconf tests pin the loopback (`interfaces=["127.0.0.1"]`) so nothing leaves the
machine, and so never took the default path: `Zeroconf(interfaces="all")`, which zeroconf 0.154 refuses
("choice must be a list or InterfaceChoice").  On a real speaker `moodspeaker run` then logged "could not
announce the page on the LAN" and `library discover` crashed.  Here the default path runs in a network
namespace this test makes (only its own loopback, multicast on), so it still sends nothing outside.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap

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


def _namespace_works() -> bool:
    unshare = shutil.which("unshare")
    if unshare is None or shutil.which("ip") is None:  # util-linux, iproute2 (make test installs both)
        return False
    probe = subprocess.run([unshare, "-n", "true"], check=False, capture_output=True, timeout=10)
    return probe.returncode == 0


@pytest.mark.timeout(300)
def test_default_interfaces_announce_and_discover_in_a_namespace() -> None:
    if not _namespace_works():
        pytest.skip("needs `unshare -n` (root or user namespaces) to make a private network")
    script = f'ip link set lo up && ip link set lo multicast on && exec {sys.executable} -c "$CHILD"'
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script],
        check=False,
        capture_output=True,
        text=True,
        timeout=240,
        env={"CHILD": CHILD, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "library: ['http://127.0.0.1:8765']" in done.stdout, done.stdout + done.stderr[-2000:]
    assert "page: ['Moodspeaker (Kitchen" in done.stdout, done.stdout + done.stderr[-2000:]
