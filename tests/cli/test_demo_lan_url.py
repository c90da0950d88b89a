"""A newcomer's phone can find the demo's page, and a stranger on the LAN learns nothing from it.

The demo listens on every interface (web.host 0.0.0.0) but said only http://127.0.0.1:PORT/, which a
phone on the Wi-Fi cannot open: it now says the LAN address too (the one the MQTT announcement gives
Home Assistant).  Its setup page, open to anyone on the network before the owner claims the speaker,
showed the full data-folder path in the setup-code command: it now says FOLDER, as the login page
does (the console, at the speaker, prints the full command).  The real demo command, on a free port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from moodspeaker.util.net import route_source_address
from moodspeaker.vision.expression import default_model_json

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_the_demo_says_its_lan_url_and_its_setup_page_hides_the_folder(tmp_path: Path) -> None:
    if not default_model_json().is_file():
        pytest.skip(f"no expression model shipped yet ({default_model_json()})")
    lan = route_source_address()
    if lan is None:
        pytest.skip("this machine has no LAN address (no default route)")
    folder = tmp_path / "demo"
    port, mqtt_port = _free_port(), _free_port()  # nothing listens on mqtt_port: MQTT off
    env = {**os.environ, "SDL_AUDIODRIVER": "dummy", "PYTHONUNBUFFERED": "1", "HOME": str(tmp_path)}
    env.pop("MOODSPEAKER_CONFIG", None)
    cmd = [sys.executable, "-m", "moodspeaker", "demo", "--replay", "--data-dir", str(folder),
           "--port", str(port), "--mqtt-host", "127.0.0.1", "--mqtt-port", str(mqtt_port)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        for line in proc.stdout:  # the page starts before the first tune (ready, after the page)
            lines.append(line)
            if "demo: playing" in line or "nothing to play yet" in line:
                break
        else:
            pytest.fail("the demo ended before it played:\n" + "".join(lines))
        said = "".join(lines)
        assert f"web page: http://127.0.0.1:{port}/" in said, said
        assert f"web page from a phone on the same network: http://{lan}:{port}/" in said, said
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/setup", timeout=30) as response:
            page = response.read().decode("utf-8")
        assert str(folder) not in page and str(tmp_path) not in page, page
        assert "device.data_dir=</span> <span>FOLDER" not in page  # one word each, as the login page
        assert "FOLDER</span>" in page and "FOLDER is the data folder" in page, page
        assert any(f"device.data_dir={folder}" in line for line in lines), "".join(lines)  # the console
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(lines) + out
