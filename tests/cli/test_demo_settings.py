"""`moodspeaker demo` gives its page a settings file of its own: a newcomer trying the demo can save
a setting and add a listener on the Settings tab (before, the page said "changes cannot be saved
here"), the running demo applies it, and the file keeps it for the next demo.

The demo runs as a newcomer starts it (a subprocess, no camera, TPU or speaker); the page is driven
over real HTTP on loopback, as a phone would: setup code, owner password, then the Settings form.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import tomllib
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from demokit import PAGE_SAID, run_demo
from moodspeaker_web.setup_code import read_setup_code

PASSWORD = "correct horse battery"


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
@pytest.mark.timeout(600)  # as test_demo_cli: the demo starts slowly on a loaded machine
def test_demo_page_saves_settings_to_the_demo_file_and_the_demo_applies_them(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    with run_demo(tmp_path, ready=(PAGE_SAID,)) as demo:  # until its page answers; a clean stop after
        assert (folder / "config.toml").is_file(), demo.said
        phone = Phone(f"http://127.0.0.1:{demo.port}")
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
    # kept across demo runs: the next demo starts from the file, the page's change included
    demo.again("--seconds", "0.1", "--no-web", timeout=240)
    saved = tomllib.loads((folder / "config.toml").read_text(encoding="utf-8"))
    assert saved["recommend"]["profiles"] == ["default", "alex"]
    assert saved["device"]["data_dir"] == str(folder)
