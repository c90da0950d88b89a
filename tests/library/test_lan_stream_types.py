"""The LAN library server names every format the scan indexes as audio when it streams the file: the
system's MIME list (Python's mimetypes reading /etc/mime.types) has no type for Monkey's Audio or
audiobooks and calls WavPack's .wv a WAP document (application/vnd.wv.csp+wbxml).  A real
LibraryServer over HTTP on the loopback."""

from __future__ import annotations

import http.client
from pathlib import Path

from lankit import add_track

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.suffixes import AUDIO_SUFFIXES


def _content_type(server: LibraryServer, track: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", f"/api/v1/stream/{track}")
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, body
        return response.getheader("Content-Type") or ""
    finally:
        conn.close()


def test_every_indexed_format_is_served_as_audio(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "library.db")
    music = tmp_path / "music"
    music.mkdir()
    tracks = {}
    for n, suffix in enumerate(sorted(AUDIO_SUFFIXES)):
        path = music / f"song{n}{suffix.upper() if n % 2 else suffix}"
        path.write_bytes(b"\0" * 64)  # the server sends the bytes as they are: only the name matters
        tracks[path.name] = add_track(index, path, 0.1)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    try:
        types = {name: _content_type(server, track) for name, track in tracks.items()}
    finally:
        server.stop()
    assert {name: t for name, t in types.items() if not t.startswith("audio/")} == {}
    by_suffix = {Path(name).suffix.lower(): t for name, t in types.items()}
    assert by_suffix[".wv"] == "audio/x-wavpack"
    assert by_suffix[".m4b"] == "audio/mp4"
    assert by_suffix[".aiff"] == by_suffix[".aif"] == "audio/aiff"
