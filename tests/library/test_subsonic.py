"""OpenSubsonic source against a small server written here to the published API.

Per opensubsonic.netlify.app: `/rest/ping`, `/rest/search3` (an empty query returns everything,
paged by songOffset; servers may cap the page size) and `/rest/stream`; salted-token authentication
(t = md5(password + salt)); the JSON envelope `subsonic-response` with `status` "ok"/"failed" and
`error {code, message}` (40 = wrong username or password).  No real Navidrome/Gonic installs here,
so this is the only server the client was tested against.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest
import synth
from flask import Flask, Response, jsonify, request, send_file
from werkzeug.serving import BaseWSGIServer, make_server

from moodspeaker.library.lan.client import LanError, LanLibrary
from moodspeaker.library.lan.sources import open_remote
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool

#: Song id -> the fields the server lists (and `path`, the audio it streams; no path: deleted).
Songs = dict[str, dict[str, Any]]


def _server(songs: Songs, user: str = "alice", password: str = "s3cret", page_cap: int = 2) -> BaseWSGIServer:
    app = Flask("opensubsonic")

    def envelope(**body: object) -> Response:
        head = {
            "status": "ok",
            "version": "1.16.1",
            "type": "test",
            "serverVersion": "0",
            "openSubsonic": True,
        }
        return jsonify({"subsonic-response": {**head, **body}})

    def failed(code: int, message: str) -> Response:
        return jsonify({"subsonic-response": {"status": "failed", "version": "1.16.1",
                                              "error": {"code": code, "message": message}}})  # fmt: skip

    @app.before_request
    def auth() -> Response | None:
        a = request.args
        if a.get("f") != "json" or not a.get("v") or not a.get("c"):
            return failed(10, "Required parameter is missing")
        expected = hashlib.md5((password + a.get("s", "")).encode()).hexdigest()
        if a.get("u") != user or a.get("t") != expected:
            return failed(40, "Wrong username or password")
        return None

    @app.get("/rest/ping")
    @app.get("/rest/ping.view")
    def ping() -> Response:
        return envelope()

    @app.get("/rest/search3")
    def search3() -> Response:
        count = min(int(request.args.get("songCount", 20)), page_cap)  # servers cap page sizes
        offset = int(request.args.get("songOffset", 0))
        assert request.args.get("query") == ""
        listed = [dict(s, id=i) for i, s in songs.items() if "path" in s]  # no path: deleted
        page = [{k: v for k, v in s.items() if k != "path"} for s in listed[offset : offset + count]]
        return envelope(searchResult3={"song": page})

    @app.get("/rest/stream")
    def stream() -> Response:
        song = songs.get(request.args.get("id", ""))
        if song is None:
            return failed(70, "The requested data was not found")
        return send_file(song["path"], mimetype="audio/flac", conditional=True)

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture
def songs(tmp_path: Path) -> Songs:
    happy = synth.write(tmp_path / "1.flac", synth.song("happy"))
    return {
        "s1": {"title": "Happy", "artist": "Synth", "album": "A", "duration": 6, "suffix": "flac",
               "replayGain": {"trackGain": -4.5}, "path": happy},
        "s2": {"title": "Sad", "artist": "Synth", "album": "A", "duration": 6, "suffix": "flac",
               "path": synth.write(tmp_path / "2.flac", synth.song("sad"))},
        "s3": {"title": "Tone", "artist": "Synth", "album": "B", "duration": 4, "suffix": "flac",
               "path": synth.write(tmp_path / "3.flac", synth.chord(synth.C_MAJOR, 4.0))},
    }  # fmt: skip


def test_sync_analyses_new_songs_and_drops_removed(tmp_path: Path, songs: Songs, pool: AnalysisPool) -> None:
    srv = _server(songs, page_cap=2)
    lib = SubsonicLibrary(f"http://alice:s3cret@127.0.0.1:{srv.server_port}", tmp_path / "cache")
    first = lib.sync(pool)
    assert (first.listed, first.analysed, first.failed) == (3, 3, [])
    by_title = {t.title: t for t in lib.tracks()}
    assert set(by_title) == {"Happy", "Sad", "Tone"}
    happy, sad = by_title["Happy"], by_title["Sad"]
    assert happy.replaygain_db == -4.5 and happy.source.startswith("subsonic:")
    assert happy.tempo == pytest.approx(140, rel=0.05) and (happy.mode, sad.mode) == (1, 0)
    assert "s3cret" not in happy.location and "t=" in happy.location
    assert lib.query({"tempo": 70.0}, k=1)[0][0].title == "Sad"
    # nothing new: nothing downloaded or analysed again
    assert lib.sync(pool).analysed == 0
    del songs["s2"]["path"]  # removed on the server
    third = lib.sync(pool)
    assert third.removed == 1 and {t.title for t in lib.tracks()} == {"Happy", "Tone"}
    srv.shutdown()
    with pytest.raises(LanError):
        lib.sync(pool)
    assert {t.title for t in lib.tracks()} == {"Happy", "Tone"}  # the mirror survives the outage
    lib.close()


def test_wrong_password_and_garbage(tmp_path: Path, songs: Songs, pool: AnalysisPool) -> None:
    srv = _server(songs)
    url = f"http://alice:wrong@127.0.0.1:{srv.server_port}"
    lib = SubsonicLibrary(url, tmp_path / "cache")
    with pytest.raises(LanError, match="40: Wrong username or password"):
        lib.sync(pool)
    assert lib.tracks() == [] and "40" in (lib.last_error or "")
    lib.close()
    # a song whose audio is not audio: recorded as failed, the others are analysed
    (tmp_path / "junk.flac").write_bytes(b"not a flac at all" * 100)
    songs["s4"] = {"title": "Junk", "suffix": "flac", "path": tmp_path / "junk.flac"}
    ok = SubsonicLibrary(f"http://alice:s3cret@127.0.0.1:{srv.server_port}", tmp_path / "cache2")
    result = ok.sync(pool)
    assert result.analysed == 3 and [sid for sid, _ in result.failed] == ["s4"]
    assert any(p["kind"] == "analysis" for p in ok.cache.stats()["problems"])
    ok.close()
    srv.shutdown()
    with pytest.raises(ValueError, match="user"):
        SubsonicLibrary("http://nas:4533", tmp_path)


def test_open_remote_picks_the_client(tmp_path: Path) -> None:
    sub = open_remote("subsonic+http://bob:pw@nas.local:4533", tmp_path)
    assert isinstance(sub, SubsonicLibrary) and sub.base_url == "http://nas.local:4533"
    lan = open_remote("http://nas.local:8765", tmp_path)
    assert isinstance(lan, LanLibrary)
    with pytest.raises(ValueError):
        open_remote("nas.local", tmp_path)
    sub.close()
    lan.close()
