"""What the LAN library tests share: a served library's tracks, added as a scan would add them; a
server answering as an older release; the speaker's downloaded audio on disk."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Response, request

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.server import LibraryServer


def add_track(index: LibraryIndex, path: Path, valence: float) -> str:
    """`path` (an existing file) indexed and analysed in one batch (one change of the counter), titled
    by its stem; returns its id."""
    values = dict(zip(FEATURE_COLUMNS, (valence, 0.1, 0.5, 120.0, -12.0, 1, 0.4), strict=True))
    with index.batch() as b:
        b.upsert_file(str(path), path.stat().st_size, 1, "h" + path.name, Tags(path.stem, "Artist"))
        b.set_analysed(str(path), {"key": 3.0}, values)
    return track_id(str(path))


def as_older_release(server: LibraryServer) -> LibraryServer:
    """`server` (not started yet) answering `info` as a release from before the database identity
    did: without `library_id`.  The rest of what it serves is the real server's."""

    @server.app.after_request
    def without_identity(response: Response) -> Response:
        if request.path.endswith("/info"):
            data = response.get_json()
            data.pop("library_id", None)
            response.set_data(json.dumps(data))
        return response

    return server


def cached_files(lan: LanLibrary) -> dict[str, list[str]]:
    """The speaker's downloaded audio on disk, by track id (file names; a track may have several:
    versions, a partial download)."""
    out: dict[str, list[str]] = {}
    if lan.audio_dir.is_dir():
        for path in sorted(lan.audio_dir.iterdir()):
            out.setdefault(path.name.split(".")[0], []).append(path.name)
    return out
