"""`moodspeaker library serve`: the index and the audio files over HTTP, in a background thread.

Endpoints (JSON unless noted), all under /api/v1:
- GET info: name, protocol version, track count, change counter, `library_id` (the database's
  identity: a random id made the first time the database is served and kept in it, so a client
  tells a replaced database from the one it mirrored even when the new change counter is already
  past its cursor; releases before it sent none, and clients take none as not known);
- GET changes?since=N&limit=M: analysed tracks changed after N, ids removed since N, `next`, `more`;
- GET tracks/<id>: one track;
- GET stream/<id>: the audio file (range requests, conditional GET); only files in the index are
  ever served, looked up by id, so no request can name a path.
Requests for a Host that is not this machine's address or home-network name are refused (421).
werkzeug's threaded server is small and well kept; the speaker reads, the NAS analyses.  It runs with
system/guarded's guards: a connection silent for HANDLER_TIMEOUT_S (per read or write, so a long
download to a slow client that keeps reading goes on) is closed, at most MAX_CONNECTIONS are served at
once (MAX_PER_CLIENT from one client), and the Server header names no versions.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from flask import Flask, Response, abort, jsonify, request, send_file

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan import API_PREFIX, PROTOCOL_VERSION
from moodspeaker.system.guarded import GuardedServer, Limits, guarded_server
from moodspeaker.util.net import host_allowed

log = logging.getLogger(__name__)

#: Every suffix the scan indexes (library.suffixes), named here: the system's MIME list has no type for
#: .ape or .m4b and takes WavPack's .wv for a WAP document (application/vnd.wv.csp+wbxml)
_MIME = {".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg",
         ".flac": "audio/flac", ".wav": "audio/wav", ".m4a": "audio/mp4", ".mp4": "audio/mp4",
         ".m4b": "audio/mp4", ".aac": "audio/aac", ".aif": "audio/aiff", ".aiff": "audio/aiff",
         ".wma": "audio/x-ms-wma", ".wv": "audio/x-wavpack", ".ape": "audio/x-ape"}  # fmt: skip


#: Seconds one read or write on a connection may wait before it is closed: each open connection holds
#: a thread, and a half-sent request held it for good
HANDLER_TIMEOUT_S = 30.0
#: Connections served at once, in all and from one client (util.net.client_network): a speaker syncs
#: and downloads a few at a time.  Past them a connection is answered 503 at once and closed.
MAX_CONNECTIONS = 64
MAX_PER_CLIENT = 16


def _limits() -> Limits:
    """The module's limits, read for each connection (so a test can shorten them)."""
    return Limits(HANDLER_TIMEOUT_S, MAX_CONNECTIONS, MAX_PER_CLIENT)


#: meta key of the served database: its identity (see `library_id`)
LIBRARY_ID = "library_id"


def library_id(index: LibraryIndex) -> str | None:
    """The database's identity, made and stored in it the first time it is served (without moving
    the change counter: nothing changed for clients to sync).  Two servers starting on one database
    at once keep the same one.  None when the database cannot be written (not known to clients)."""
    known = index.meta(LIBRARY_ID)
    if known is not None:  # read without the write lock, which a scan under way holds for seconds
        return known
    try:
        with index.db.transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                (LIBRARY_ID, secrets.token_hex(16)),
            )
    except sqlite3.Error as exc:
        log.warning("the library database has no identity to serve: %s", exc)
    return index.meta(LIBRARY_ID)


def create_app(
    index: LibraryIndex, name: str = "Moodspeaker library", allowed_hosts: Sequence[str] = ()
) -> Flask:
    """`allowed_hosts`: host names to answer besides this machine's addresses and home-network names
    (util.net.host_allowed); a request for any other name is refused (421), so a web site that points
    its own name at the server (DNS rebinding) cannot read the track list or play the files."""
    app = Flask("moodspeaker.library.lan")
    identity = library_id(index)
    extra = tuple(allowed_hosts)

    @app.before_request
    def _check_host() -> Any:
        if not host_allowed(request.host, extra):
            log.warning("refused a request for host %r (not this server's name)", request.host[:100])
            return Response("Unknown host name for this library server.\n", status=421, mimetype="text/plain")
        return None

    @app.get(f"{API_PREFIX}/info")
    def info() -> Any:
        stats = index.stats()
        about = {
            "service": "moodspeaker-library", "name": name, "protocol": PROTOCOL_VERSION,
            "tracks": stats["analysed"], "change_counter": stats["change_counter"],
        }  # fmt: skip
        if identity is not None:
            about["library_id"] = identity
        return jsonify(about)

    @app.get(f"{API_PREFIX}/changes")
    def changes() -> Any:
        try:
            since = int(request.args.get("since", "0"))
            limit = min(max(int(request.args.get("limit", "2000")), 1), 10000)
        except ValueError:
            abort(400, "since and limit must be integers")
        return jsonify(index.changes_since(since, limit))

    @app.get(f"{API_PREFIX}/tracks/<track_id>")
    def track(track_id: str) -> Any:
        t = index.get(track_id)
        if t is None:
            abort(404)
        return jsonify({"id": t.id, "title": t.title, "artist": t.artist, "album": t.album,
                        "duration_s": t.duration_s, "valence": t.valence, "arousal": t.arousal})  # fmt: skip

    @app.get(f"{API_PREFIX}/stream/<track_id>")
    def stream(track_id: str) -> Any:
        t = index.get(track_id)
        if t is None or t.source != "local":
            abort(404)
        if not os.path.isfile(t.location):
            abort(410, "the file is no longer there")
        suffix = os.path.splitext(t.location)[1].lower()
        mime = _MIME.get(suffix) or mimetypes.guess_type(t.location)[0] or "application/octet-stream"
        return send_file(t.location, mimetype=mime, conditional=True, etag=True, max_age=3600)

    return app


class LibraryServer:
    """The HTTP server on its own thread (optionally announced with zeroconf by the caller).

    Raises OSError when it cannot listen (the port in use, an address not on this machine).
    """

    def __init__(
        self,
        index: LibraryIndex,
        host: str = "0.0.0.0",
        port: int = 8765,
        name: str = "",
        allowed_hosts: Sequence[str] = (),
    ) -> None:
        self.app = create_app(index, name or "Moodspeaker library", allowed_hosts)
        # bound by us, not by werkzeug, whose failure is a printed message and sys.exit(1) (system/listen)
        self._server: GuardedServer = guarded_server(host, port, self.app, _limits)
        self.port = int(self._server.port)
        self.host = host
        #: the address it listens on: `host`, a host name resolved ("localhost": 127.0.0.1)
        self.address = str(self._server.server_address[0])
        self._thread = threading.Thread(target=self._server.serve_forever, name="library-server", daemon=True)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"  # IPv6

    def open_connections(self) -> int:
        """Connections being served now (each holds a thread)."""
        return self._server.open_connections()

    def start(self) -> LibraryServer:
        self._thread.start()
        log.info("library server on %s", self.url)
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
