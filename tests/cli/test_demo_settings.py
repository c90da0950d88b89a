"""`moodspeaker demo` gives its page a settings file of its own: a newcomer trying the demo can save
a setting and add a listener on the Settings tab (before, the page said "changes cannot be saved
here"), the running demo applies it, and the file keeps it for the next demo.

The demo runs as a newcomer starts it (a subprocess, no camera, TPU or speaker); the page is driven
over real HTTP on loopback, as a phone would: setup code, owner password, then the Settings form.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from moodspeaker.vision.expression import default_model_json
from moodspeaker_web.setup_code import read_setup_code

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Phone:
    """A browser's part: cookies kept, the CSRF token read from each page as the forms carry it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return str(response.read().decode("utf-8"))

    def post_form(self, path: str, form: dict[str, str], token_from: str) -> tuple[int, str]:
        match = re.search(r'name="csrf-token" content="([^"]+)"', self.get(token_from))
        assert match, token_from
        body = urllib.parse.urlencode({"csrf_token": match.group(1), **form}).encode()
        try:
            with self.opener.open(self.base + path, data=body, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8")


@pytest.mark.slow
def test_demo_page_saves_settings_to_the_demo_file_and_the_demo_applies_them(tmp_path: Path) -> None:
    if not default_model_json().is_file():
        pytest.skip(f"no expression model shipped yet ({default_model_json()})")
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
        for line in proc.stdout:
            lines.append(line)
            if f"web page: http://127.0.0.1:{port}/" in line:
                break
        else:
            pytest.fail("the demo ended before its page answered:\n" + "".join(lines))
        assert (folder / "config.toml").is_file(), "".join(lines)
        phone = Phone(f"http://127.0.0.1:{port}")
        code = read_setup_code(folder)
        assert code is not None
        status, _ = phone.post_form(
            "/setup", {"code": code, "password": PASSWORD, "confirm": PASSWORD}, token_from="/setup"
        )
        assert status == 200
        settings = phone.get("/settings")
        assert "cannot be saved" not in settings
        status, page = phone.post_form(
            "/settings/recommend", {"recommend.profiles": "default\nalex"}, token_from="/settings"
        )
        assert status == 200, page
        assert "saved" in page and "Nothing was saved" not in page
        saved = tomllib.loads((folder / "config.toml").read_text(encoding="utf-8"))
        assert saved["recommend"]["profiles"] == ["default", "alex"]
        state = json.loads(phone.get("/api/state"))  # the running demo made the new listener at once
        assert "alex" in state["profiles"], state.get("profiles")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, "".join(lines) + out
    # kept across demo runs: the next demo starts from the file, the page's change included
    again = subprocess.run(
        [*cmd, "--seconds", "0.1", "--no-web"],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=240,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    saved = tomllib.loads((folder / "config.toml").read_text(encoding="utf-8"))
    assert saved["recommend"]["profiles"] == ["default", "alex"]
    assert saved["device"]["data_dir"] == str(folder)
