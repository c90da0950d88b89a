"""A failed first sync of a library server leaves no mirror, for `library sync` and the service alike.

The service opened every `library.servers` entry at start and synced it its own way: a mistyped URL
there left an empty mirror folder that `library stats` listed from then on (the CLI already removed
its own).  Both now sync through `sources.sync_remote`, and the mirror is made by the first sync, not
by opening the remote.  A mirror that once synced keeps its last good copy when a later sync fails,
and the rescan's sentence says so.  Real HTTP on loopback: a refused port, a web server that is not a
library server, a library server that breaks mid-sync, and the real LibraryServer.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import synth

from moodspeaker.config import Config, with_changes
from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id
from moodspeaker.library.lan import API_PREFIX, PROTOCOL_VERSION
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import SyncError, open_remote, sync_remote
from moodspeaker.service.components import open_library

ROW = dict(zip(FEATURE_COLUMNS, (0.2, 0.1, 0.5, 120.0, -12.0, 1, 0.4), strict=True))


class _Breaking(http.server.BaseHTTPRequestHandler):
    """A library server that answers its info and the first page of changes, then fails; any other
    path is a 404 (a web server that is not a library server)."""

    def do_GET(self) -> None:
        body: Any = None
        if self.path == f"{API_PREFIX}/info":
            body = {"service": "moodspeaker-library", "protocol": PROTOCOL_VERSION}
        elif self.path.startswith(f"{API_PREFIX}/changes?since=0"):
            track = {"id": "t1", "title": "One", "artist": "A", **ROW, "extra": {}}
            body = {"tracks": [track], "removed": [], "next": 1, "more": True}
        elif self.path.startswith(f"{API_PREFIX}/changes"):
            self.send_error(500)
            return
        if body is None:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def breaking() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Breaking)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(tmp_path: Path, servers: list[str]) -> Config:
    changes = {"device.data_dir": str(tmp_path / "data"), "library.folders": [str(tmp_path / "no-music")]}
    return with_changes(Config(), {**changes, "library.servers": servers})


def _mirrors(tmp_path: Path) -> list[str]:
    cache = tmp_path / "data" / "lan-cache"
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_the_service_keeps_no_mirror_of_a_server_that_never_answered(tmp_path: Path, breaking: str) -> None:
    port = _refused_port()
    servers = [
        f"http://127.0.0.1:{port}",  # nobody listens
        f"{breaking}/not-here",  # a web server, not a library server
        f"subsonic+http://me:pw@127.0.0.1:{port}",
        breaking,  # a library server that fails after its first page
    ]
    source, rescan = open_library(_config(tmp_path, servers))
    assert _mirrors(tmp_path) == []  # opening makes nothing
    text = rescan(None)
    assert text.count("nothing kept") == 4, text
    assert _mirrors(tmp_path) == []
    assert source.tracks() == [] and source.feature_matrix()[0] == []


def test_a_first_sync_that_breaks_midway_removes_what_it_wrote(tmp_path: Path, breaking: str) -> None:
    lan = open_remote(breaking, tmp_path / "cache")
    with pytest.raises(SyncError) as failed:
        sync_remote(lan, limit=1)
    assert failed.value.kept is None and "nothing kept" in str(failed.value)
    assert not (tmp_path / "cache").exists() or list((tmp_path / "cache").iterdir()) == []
    assert lan.tracks() == []


def test_a_mirror_that_synced_once_keeps_its_copy_when_the_server_is_gone(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "server.db")
    path = synth.write(tmp_path / "music" / "song.wav", synth.chord(synth.C_MAJOR, 1.0))
    with index.batch() as b:
        b.upsert_file(str(path), path.stat().st_size, 1, "hash", Tags("Song", "Artist"))
        b.set_analysed(str(path), {}, ROW)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    cfg = _config(tmp_path, [server.url])
    try:
        source, rescan = open_library(cfg)
        assert f"{server.url}: 1 updated" in rescan(None)
    finally:
        server.stop()
        index.close()
    text = rescan(None)
    assert "1 tracks still usable from the last good sync" in text, text
    assert [t.id for t in source.tracks()] == [track_id(str(path))]
    (mirror,) = _mirrors(tmp_path)
    again, _ = open_library(cfg)  # a restart: the copy is read from disk without any sync
    assert [t.id for t in again.tracks()] == [track_id(str(path))]
    assert _mirrors(tmp_path) == [mirror]
