"""A newcomer's phone can find the demo's page, and a stranger on the LAN learns nothing from it.

The demo listens on every interface (web.host 0.0.0.0) but said only http://127.0.0.1:PORT/, which a
phone on the Wi-Fi cannot open: it now says the LAN address too (the one the MQTT announcement gives
Home Assistant).  Its setup page, open to anyone on the network before the owner claims the speaker,
showed the full data-folder path in the setup-code command: it now says FOLDER, as the login page
does (the console, at the speaker, prints the full command).  The real demo command, on a free port.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from demokit import PLAYING, run_demo
from moodspeaker.util.net import route_source_address


@pytest.mark.slow
@pytest.mark.timeout(600)  # as test_demo_cli: the demo starts slowly on a loaded machine
def test_the_demo_says_its_lan_url_and_its_setup_page_hides_the_folder(tmp_path: Path) -> None:
    lan = route_source_address()
    if lan is None:
        pytest.skip("this machine has no LAN address (no default route)")
    folder = tmp_path / "demo"
    # the page starts before the first tune (ready, after the page)
    with run_demo(tmp_path, ready=(PLAYING, "nothing to play yet")) as demo:
        said = demo.said
        assert f"web page: http://127.0.0.1:{demo.port}/" in said, said
        assert f"web page from a phone on the same network: http://{lan}:{demo.port}/" in said, said
        with urllib.request.urlopen(f"http://127.0.0.1:{demo.port}/setup", timeout=30) as response:
            page = response.read().decode("utf-8")
        assert str(folder) not in page and str(tmp_path) not in page, page
        assert "device.data_dir=</span> <span>FOLDER" not in page  # one word each, as the login page
        assert "FOLDER</span>" in page and "FOLDER is the data folder" in page, page
        assert any(f"device.data_dir={folder}" in line for line in demo.lines), said  # the console
