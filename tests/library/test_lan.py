"""LAN library server and client over real HTTP on the loopback: sync, streaming, outages, garbage."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import synth
from flask import Flask, Response
from lankit import add_track
from werkzeug.serving import BaseWSGIServer, make_server

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex
from moodspeaker.library.lan.announce import Announcer, discover
from moodspeaker.library.lan.client import LanError, LanLibrary, validate_row
from moodspeaker.library.lan.server import LibraryServer

Served = tuple[LibraryIndex, LibraryServer, dict[str, str]]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    index = LibraryIndex(tmp_path / "server.db")
    ids: dict[str, str] = {}
    for i, v in enumerate((-0.5, 0.0, 0.5)):
        path = synth.write(tmp_path / "music" / f"song{i}.wav", synth.chord(synth.C_MAJOR, 1.0 + i))
        ids[path.name] = add_track(index, path, v)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    yield index, server, ids
    server.stop()
    index.close()


def test_sync_stream_and_incremental_updates(tmp_path: Path, served: Served) -> None:
    index, server, ids = served
    lan = LanLibrary(server.url, tmp_path / "cache")
    first = lan.sync(limit=2)
    assert first.updated == 3 and first.pages >= 2 and first.rejected == []
    mirrored = {t.id: t for t in lan.tracks()}
    assert set(mirrored) == set(ids.values())
    original = index.get(ids["song2.wav"])
    assert original is not None
    copy = mirrored[ids["song2.wav"]]
    assert (copy.title, copy.artist, copy.valence, copy.extra) == ("song2", "Artist", 0.5, {"key": 3.0})
    assert copy.location == lan.stream_url(copy.id) and copy.source == f"lan:{server.url}"
    assert lan.query({"valence": 0.5}, k=1)[0][0].id == original.id
    # audio: byte-identical copy
    path = lan.fetch(copy.id)
    assert path.read_bytes() == (tmp_path / "music" / "song2.wav").read_bytes()
    # incremental: one new, one removed, nothing else is sent again
    new = synth.write(tmp_path / "music" / "new.wav", synth.chord(synth.A_MINOR, 1.0))
    add_track(index, new, 0.9)
    with index.batch() as b:
        b.remove(str(tmp_path / "music" / "song0.wav"))
    second = lan.sync()
    assert (second.updated, second.removed) == (1, 1)
    assert {t.title for t in lan.tracks()} == {"song1", "song2", "new"}
    assert lan.sync().updated == 0
    lan.close()


def test_range_requests(served: Served) -> None:
    _, server, ids = served
    req = urllib.request.Request(
        f"{server.url}/api/v1/stream/{ids['song1.wav']}", headers={"Range": "bytes=10-19"}
    )
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 206
        assert resp.headers["Content-Range"].startswith("bytes 10-19/")
        assert len(resp.read()) == 10
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{server.url}/api/v1/stream/../../etc/passwd")
    assert err.value.code == 404


def test_server_gone_cache_keeps_working(tmp_path: Path, served: Served) -> None:
    _, server, ids = served
    lan = LanLibrary(server.url, tmp_path / "cache", timeout_s=2.0)
    lan.sync()
    fetched = lan.fetch(ids["song0.wav"])
    server.stop()
    with pytest.raises(LanError):
        lan.sync()
    assert lan.last_error
    assert len(lan.tracks()) == 3  # still there from the mirror
    assert lan.fetch(ids["song0.wav"]) == fetched  # played from the local copy
    with pytest.raises(LanError):
        lan.fetch(ids["song1.wav"])
    lan.close()


def _half_then_close(payload: bytes) -> str:
    """A server that announces the whole file, sends half of it and hangs up (server gone mid-stream)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)

    def serve() -> None:
        conn, _ = sock.accept()
        conn.recv(65536)
        head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(payload)}\r\nContent-Type: audio/wav\r\n\r\n"
        conn.sendall(head.encode() + payload[: len(payload) // 2])
        conn.close()
        sock.close()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_server_vanishing_mid_stream_then_resume(tmp_path: Path, served: Served) -> None:
    _, server, ids = served
    tid = ids["song2.wav"]
    payload = (tmp_path / "music" / "song2.wav").read_bytes()
    flaky = LanLibrary(_half_then_close(payload), tmp_path / "cache")
    with pytest.raises(LanError, match="stream"):
        flaky.fetch(tid)
    part = flaky.audio_dir / f"{tid}.part"
    assert 0 < part.stat().st_size < len(payload)
    flaky.close()
    # the real server resumes the partial download with a Range request
    good = LanLibrary(server.url, tmp_path / "cache")
    good.audio_dir.mkdir(parents=True, exist_ok=True)
    (good.audio_dir / f"{tid}.part").write_bytes(part.read_bytes())
    assert good.fetch(tid).read_bytes() == payload
    good.close()


def _garbage_server(pages: list[str]) -> BaseWSGIServer:
    app = Flask("garbage")

    @app.get("/api/v1/info")
    def info() -> dict[str, object]:
        return {"service": "moodspeaker-library", "protocol": 1}

    @app.get("/api/v1/changes")
    def changes() -> Response:
        return Response(pages.pop(0), mimetype="application/json")

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_garbage_from_a_server(tmp_path: Path) -> None:
    features = dict(zip(FEATURE_COLUMNS, (0.1, 0.2, 0.3, 100.0, -10.0, 1, 0.5), strict=True))
    good = {
        "id": "abc123",
        "title": "ok",
        "artist": "a",
        "album": "",
        "duration_s": 1.0,
        **features,
        "extra": {},
    }
    bad_rows = [
        {**good, "id": "nan1", "valence": float("nan")},
        {**good, "id": "far", "arousal": 7.0},
        {**good, "id": "../../x"},
        "not even an object",
    ]
    pages = [
        "<html>oops</html>",
        json.dumps({"tracks": [good, *bad_rows], "removed": [], "next": 5, "more": False}),
    ]
    srv = _garbage_server(pages)
    lan = LanLibrary(f"http://127.0.0.1:{srv.server_port}", tmp_path / "cache")
    with pytest.raises(LanError, match="not JSON"):
        lan.sync()
    assert lan.tracks() == []
    result = lan.sync()
    assert result.updated == 1
    reasons = dict(result.rejected)
    assert "valence is not a number" in reasons["nan1"]
    assert "outside" in reasons["far"]
    assert "malformed id" in reasons["../../x"]
    assert [t.id for t in lan.tracks()] == ["abc123"]
    assert len(lan.cache.stats()["problems"]) == 4
    srv.shutdown()
    lan.close()
    assert validate_row({**good}) is None


def test_not_a_library_server(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="http"):
        LanLibrary("ftp://nas", tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there
    lan = LanLibrary(f"http://127.0.0.1:{port}", tmp_path / "cache", timeout_s=1.0)
    with pytest.raises(LanError):
        lan.sync()
    lan.close()


def test_zeroconf_discovery_on_loopback(served: Served) -> None:
    _, server, _ = served
    announcer = Announcer("Test library", server.port, ["127.0.0.1"], interfaces=["127.0.0.1"])
    try:
        announcer.start()
    except OSError as exc:
        pytest.skip(f"no multicast on the loopback here: {exc}")
    try:
        urls = discover(5.0, interfaces=["127.0.0.1"])
    finally:
        announcer.close()
    assert server.url in urls
