"""A second LAN source: an OpenSubsonic-compatible server (Navidrome, Gonic, Airsonic...).

Such servers know tags but not how music feels, so new songs are downloaded once (`stream` with
`format=raw`), analysed here by the same worker pool as local files, and kept in a mirror index
(a LibraryIndex database per server) with the stream URL as their location.  The song list comes
from `search3` with an empty query, paged by `songOffset` (the OpenSubsonic clarification every
major server implements).  Authentication is the Subsonic salted token (t = md5(password + salt));
the password itself is never stored in the mirror.  A song that vanished from a *complete* listing
is removed; a failed or partial listing removes nothing.

Server URL form: http(s)://user:password@host:port[/prefix]
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import os
import secrets
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moodspeaker.library.emotion import EmotionModel
from moodspeaker.library.index import track_id
from moodspeaker.library.indexer import track_values
from moodspeaker.library.lan.client import LanError, note_sync, slug
from moodspeaker.library.lan.mirror import MirroredLibrary
from moodspeaker.library.workers import AnalysisPool

log = logging.getLogger(__name__)

API_VERSION = "1.16.1"
CLIENT = "moodspeaker"
PAGE = 500
_SEEN = "subsonic_seen"  # song ids already analysed or failed: JSON list in meta


@dataclass
class SubsonicSync:
    listed: int = 0
    analysed: int = 0
    removed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


class SubsonicLibrary(MirroredLibrary):
    """tracks()/get()/query() from the mirror; sync() lists, downloads and analyses new songs."""

    def __init__(self, url: str, cache_dir: str | Path, timeout_s: float = 10.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"OpenSubsonic server URL must be http(s)://user:password@host[:port]: {url!r}")
        if not parts.username:
            raise ValueError(
                f"OpenSubsonic server URL needs a user name (http://user:password@host): {url!r}"
            )
        self._user = urllib.parse.unquote(parts.username)
        self._password = urllib.parse.unquote(parts.password or "")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.base_url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self.source = f"subsonic:{self.base_url}"
        super().__init__(Path(cache_dir) / ("subsonic-" + slug(self.base_url)))
        self.timeout_s = timeout_s
        self.last_error: str | None = None

    # -- protocol ----------------------------------------------------------------------------------
    def _url(self, method: str, **params: str | int) -> str:
        salt = secrets.token_hex(6)
        token = hashlib.md5((self._password + salt).encode("utf-8")).hexdigest()  # the protocol's token
        query = {"u": self._user, "t": token, "s": salt, "v": API_VERSION, "c": CLIENT, "f": "json", **params}
        return f"{self.base_url}/rest/{method}?{urllib.parse.urlencode(query)}"

    def _call(self, method: str, **params: str | int) -> dict[str, Any]:
        url = self._url(method, **params)
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_s) as resp:
                data = json.loads(resp.read(64 * 1024 * 1024))
        except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as exc:
            raise LanError(f"{self.base_url} {method}: {exc}") from exc
        except ValueError as exc:
            raise LanError(f"{self.base_url} {method}: not JSON ({exc})") from exc
        body = data.get("subsonic-response") if isinstance(data, dict) else None
        if not isinstance(body, dict):
            raise LanError(f"{self.base_url} {method}: not a Subsonic response")
        if body.get("status") != "ok":
            err = body.get("error") or {}
            raise LanError(f"{self.base_url} {method}: error {err.get('code')}: {err.get('message')}")
        return body

    def list_songs(self) -> list[dict[str, Any]]:
        """Every song on the server (search3 with an empty query, page by page until an empty page)."""
        songs: list[dict[str, Any]] = []
        offset = 0
        while True:
            body = self._call(
                "search3", query="", artistCount=0, albumCount=0, songCount=PAGE, songOffset=offset
            )
            page = (body.get("searchResult3") or {}).get("song") or []
            if not isinstance(page, list):
                raise LanError(f"{self.base_url} search3: song is not a list")
            songs += [s for s in page if isinstance(s, dict) and isinstance(s.get("id"), str | int)]
            if not page:  # servers may cap the page below what was asked: stop only when empty
                return songs
            offset += len(page)

    def _download(self, song_id: str, suffix: str, folder: Path) -> Path:
        target = folder / f"{hashlib.blake2b(song_id.encode(), digest_size=8).hexdigest()}.{suffix}"
        try:
            with urllib.request.urlopen(
                self._url("stream", id=song_id, format="raw"), timeout=self.timeout_s
            ) as r:
                ctype = r.headers.get("Content-Type", "")
                if ctype.startswith(("text/", "application/json", "application/xml")):
                    raise LanError(f"stream of {song_id}: server answered {ctype}, not audio")
                expected = r.headers.get("Content-Length")
                with target.open("wb") as out:
                    while block := r.read(256 * 1024):
                        out.write(block)
        except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as exc:
            raise LanError(f"stream of {song_id}: {exc}") from exc
        if expected and expected.isdigit() and target.stat().st_size != int(expected):
            raise LanError(f"stream of {song_id}: cut short")
        return target

    def sync(self, pool: AnalysisPool | None = None, model: EmotionModel | None = None) -> SubsonicSync:
        """List the server's songs, analyse the new ones, drop the ones gone; LanError if unreachable.

        Without a `pool`, one worker is started for this sync (only if there is something new).
        """
        if pool is None:
            with AnalysisPool(1, numba_cache_dir=os.environ.get("NUMBA_CACHE_DIR") or None) as own:
                return self.sync(own, model)
        model = model or EmotionModel.load()
        result = SubsonicSync()
        try:
            self._call("ping")
            songs = self.list_songs()
        except LanError as exc:
            self.last_error = str(exc)
            note_sync(self.cache, self.last_error)
            raise
        result.listed = len(songs)
        seen = set(json.loads(self.cache.meta(_SEEN) or "[]"))
        listed = {str(s["id"]): s for s in songs}
        with self.cache.batch() as b:
            for sid in seen - set(listed):
                b.remove_id(track_id(f"{self.base_url}#{sid}"))
                result.removed += 1
            seen &= set(listed)
            b.set_meta(_SEEN, json.dumps(sorted(seen)))
        new = [sid for sid in listed if sid not in seen]
        with tempfile.TemporaryDirectory(prefix="moodspeaker-subsonic-") as tmp:
            for start in range(0, len(new), 8):  # download a few, analyse them, repeat: bounded disk use
                files: dict[str, str] = {}
                for sid in new[start : start + 8]:
                    suffix = "".join(c for c in str(listed[sid].get("suffix") or "mp3") if c.isalnum())[:5]
                    try:
                        files[str(self._download(sid, suffix or "mp3", Path(tmp)))] = sid
                    except LanError as exc:
                        result.failed.append((sid, str(exc)))
                for r in pool.analyse(list(files)):
                    sid = files[r.path]
                    os.unlink(r.path)
                    with self.cache.batch() as b:
                        if r.analysis is None:
                            result.failed.append((sid, r.error or "analysis failed"))
                            b.problem(f"{self.source}/{sid}", "analysis", r.error or "analysis failed")
                        else:
                            b.put_remote(self._row(listed[sid], r.analysis.features, model), self.source)
                            result.analysed += 1
                        seen.add(sid)
                        b.set_meta(_SEEN, json.dumps(sorted(seen)))
        self.last_error = None
        note_sync(self.cache, None)
        return result

    def _row(
        self, song: Mapping[str, Any], features: Mapping[str, float], model: EmotionModel
    ) -> dict[str, Any]:
        sid = str(song["id"])
        values = track_values(features, model)
        rg = song.get("replayGain") if isinstance(song.get("replayGain"), dict) else {}
        gain = rg.get("trackGain") if isinstance(rg, dict) else None
        return {
            "id": track_id(f"{self.base_url}#{sid}"),
            "location": self._url("stream", id=sid, format="raw"),
            "title": str(song.get("title") or sid),
            "artist": str(song.get("artist") or ""),
            "album": str(song.get("album") or ""),
            "duration_s": float(song.get("duration") or 0.0),
            "replaygain_db": float(gain) if isinstance(gain, int | float) else None,
            **{
                k: values[k]
                for k in ("valence", "arousal", "energy", "tempo", "loudness_lufs", "mode", "brightness")
            },
            "extra": {k: float(features[k]) for k in ("key", "onset_rate", "pulse_clarity") if k in features},
        }
