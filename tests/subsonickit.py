"""A small OpenSubsonic server written here to the published API, for the library and player tests.

Per opensubsonic.netlify.app: `/rest/ping`, `/rest/search3` (an empty query returns everything,
paged by songOffset; servers may cap the page size) and `/rest/stream`; salted-token authentication
(t = md5(password + salt)); the JSON envelope `subsonic-response` with `status` "ok"/"failed" and
`error {code, message}` (40 = wrong username or password, 70 = not found: status 200 all the same).
A song (Child) is listed with `size`, the size of the file it streams, as servers give it, unless the
test gives another.  No real Navidrome/Gonic installs here, so this is the only server the client is
tested against.  The songs are the test's live dictionary: a change to it is what the server says
from then on.  The stream requests are counted (`streams`: the song ids, in order); a song's stream
can be held until the test lets it go (`gates`: its answer waits for the event, counted before).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request, send_file
from werkzeug.serving import BaseWSGIServer, make_server

#: Song id -> the fields the server lists (and `path`, the audio it streams; no path: deleted).
Songs = dict[str, dict[str, Any]]


@dataclass
class Subsonic:
    server: BaseWSGIServer
    songs: Songs
    user: str
    password: str
    host: str = "127.0.0.1"
    streams: list[str] = field(default_factory=list)
    #: song id -> an event its stream waits for before it answers (the test sets it)
    gates: dict[str, threading.Event] = field(default_factory=dict)

    @property
    def server_port(self) -> int:
        return int(self.server.server_port)

    @property
    def url(self) -> str:
        """The server as a SubsonicLibrary takes it (http://user:password@host:port)."""
        host = f"[{self.host}]" if ":" in self.host else self.host  # an IPv6 literal
        return f"http://{self.user}:{self.password}@{host}:{self.server_port}"

    def stop(self) -> None:
        """Off, its port closed (a connection is refused at once, as with a NAS switched off)."""
        self.server.shutdown()
        self.server.server_close()


def serve(
    songs: Songs, user: str = "alice", password: str = "s3cret", page_cap: int = 2, host: str = "127.0.0.1"
) -> Subsonic:
    """The server on a loopback port of its own (of `host`: "::1" for IPv6), serving `songs` (the
    caller stops it)."""
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
        listed = [  # no path: deleted; the size of the file unless the test says another
            {"size": Path(s["path"]).stat().st_size, **s, "id": i} for i, s in songs.items() if "path" in s
        ]
        page = [{k: v for k, v in s.items() if k != "path"} for s in listed[offset : offset + count]]
        return envelope(searchResult3={"song": page})

    @app.get("/rest/stream")
    def stream() -> Response:
        sid = request.args.get("id", "")
        found.streams.append(sid)
        gate = found.gates.get(sid)
        if gate is not None and not gate.wait(120):
            return failed(0, "the test never let this stream go")
        song = songs.get(sid)
        if song is None or "path" not in song:
            return failed(70, "The requested data was not found")
        return send_file(song["path"], mimetype="audio/flac", conditional=True)

    srv = make_server(host, 0, app, threaded=True)
    found = Subsonic(srv, songs, user, password, host)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return found


@contextlib.contextmanager
def served(songs: Songs, **options: Any) -> Iterator[Subsonic]:
    """`serve(songs, **options)`, stopped when the block ends: a test's `server` fixture yields it."""
    srv = serve(songs, **options)
    try:
        yield srv
    finally:
        srv.stop()
