"""The LAN library server answers only requests for its own address or a home-network name: a web site
that points its own name at the server (DNS rebinding) cannot read the track list or play the files from
a visitor's browser.  A real LibraryServer over HTTP on the loopback; the Host header set per request."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest
import synth
from lankit import add_track

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.server import LibraryServer


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[LibraryServer, str]]:
    index = LibraryIndex(tmp_path / "library.db")
    track = add_track(index, synth.write(tmp_path / "music" / "a.wav", synth.chord(synth.C_MAJOR, 1.0)), 0.1)
    server = LibraryServer(index, "127.0.0.1", 0, allowed_hosts=("nas.fritz.box",)).start()
    yield server, track
    server.stop()


def _status(server: LibraryServer, path: str, host: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


@pytest.mark.parametrize(
    "path", ["/api/v1/info", "/api/v1/changes?since=0", "/api/v1/tracks/{id}", "/api/v1/stream/{id}"]
)
def test_a_foreign_host_name_is_refused(served: tuple[LibraryServer, str], path: str) -> None:
    server, track = served
    path = path.format(id=track)
    # before: 200, the track list and the audio for any name that resolved to the server
    assert _status(server, path, f"rebind.evil.example:{server.port}") == 421
    assert _status(server, path, "127.0.0.1.nip.io") == 421


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:{port}",
        "192.168.1.20:{port}",
        "[fe80::1]:{port}",
        "nas.local:{port}",
        "nas",
        "nas.fritz.box",
    ],
)
def test_its_own_names_are_answered(served: tuple[LibraryServer, str], host: str) -> None:
    server, track = served
    host = host.format(port=server.port)
    assert _status(server, "/api/v1/info", host) == 200
    assert _status(server, f"/api/v1/stream/{track}", host) == 200
