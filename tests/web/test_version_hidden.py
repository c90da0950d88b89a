"""A stranger on the LAN is not told the speaker's software versions nor its data folder: no
Werkzeug/Python in the Server header, no version in the footer of the login page, the folder in the
login page's reset command as FOLDER.  The owner still sees the version and the full command."""

from __future__ import annotations

import http.client
import re
from pathlib import Path

from webkit import Page, serve_home

from moodspeaker import __version__


def _footer(html: str) -> str:
    found = re.search(r'<footer class="foot">(.*?)</footer>', html, re.S)
    assert found, html
    return found[1]


def test_the_server_header_names_no_versions(tmp_path: Path) -> None:
    server = serve_home(tmp_path)
    try:
        for path in ("/setup", "/no-such-page", "/static/app.css"):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            # before: "Werkzeug/3.1.9 Python/3.11.2"
            assert response.getheader("Server") == "Moodspeaker", path
    finally:
        server.stop()


def test_the_login_page_shows_a_stranger_no_version_and_no_folder(owner: Page) -> None:
    assert __version__ in _footer(owner.client.get("/").get_data(as_text=True))
    folder = str(owner.data_dir)
    assert folder in owner.client.get("/login").get_data(as_text=True)  # the owner's full command
    owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
    for path in ("/login", "/no-such-page"):
        html = owner.client.get(path).get_data(as_text=True)
        assert _footer(html).startswith("Moodspeaker ·"), path  # before: "Moodspeaker 0.x.y ·"
        assert __version__ not in html and folder not in html, path
    html = re.sub(r"</?span>", "", owner.client.get("/login").get_data(as_text=True))  # a word a span
    assert "moodspeaker --set device.data_dir=FOLDER setup-code --reset</code>, where FOLDER is" in html
