"""The OpenSubsonic wire protocol as the speaker speaks it: the server's URL, its user's credentials,
the questions (`call`, `list_songs`) and the stream URLs (library.lan.subsonic's client).

Why a module of its own: this is the one part that holds the password and makes the salted tokens
(t = md5(password + salt), a fresh salt per request), so what the sync and the mirror do with the
answers (library.lan.subsonic) never touches a credential.  The song list comes from `search3` with
an empty query, paged by `songOffset` (the OpenSubsonic clarification every major server
implements).

Server URL form: http(s)://user:password@host:port[/prefix]
"""

from __future__ import annotations

import hashlib
import http.client
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from moodspeaker.library.lan.client import LanError
from moodspeaker.util.net import mask_url

API_VERSION = "1.16.1"
CLIENT = "moodspeaker"
PAGE = 500
#: the query parameters a request authenticates with: the user, a salted token, the password
_AUTH = frozenset(("u", "t", "s", "p"))


class SubsonicApi:
    """One server as one user sees it (`url`: http(s)://user:password@host[:port][/prefix])."""

    def __init__(self, url: str, timeout_s: float) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"OpenSubsonic server URL must be http(s)://user:password@host[:port]: {mask_url(url)!r}"
            )
        if not parts.username:  # the URL said with its password masked (it may carry one all the same)
            raise ValueError(
                f"OpenSubsonic server URL needs a user name (http://user:password@host): {mask_url(url)!r}"
            )
        self.user = urllib.parse.unquote(parts.username)
        self._password = urllib.parse.unquote(parts.password or "")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname  # an IPv6 literal
        netloc = host + (f":{parts.port}" if parts.port else "")  # (the user and password left out)
        self.base_url = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self.timeout_s = timeout_s

    def url(self, method: str, **params: str | int) -> str:
        """The request URL of `method`, authenticated (a token with a salt of its own)."""
        salt = secrets.token_hex(6)
        token = hashlib.md5((self._password + salt).encode("utf-8")).hexdigest()  # the protocol's token
        query = {"u": self.user, "t": token, "s": salt, "v": API_VERSION, "c": CLIENT, "f": "json", **params}
        return f"{self.base_url}/rest/{method}?{urllib.parse.urlencode(query)}"

    def call(self, method: str, **params: str | int) -> dict[str, Any]:
        """The `subsonic-response` body of `method`; LanError when it fails or is not one."""
        url = self.url(method, **params)
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
            body = self.call(
                "search3", query="", artistCount=0, albumCount=0, songCount=PAGE, songOffset=offset
            )
            page = (body.get("searchResult3") or {}).get("song") or []
            if not isinstance(page, list):
                raise LanError(f"{self.base_url} search3: song is not a list")
            songs += [s for s in page if isinstance(s, dict) and isinstance(s.get("id"), str | int)]
            if not page:  # servers may cap the page below what was asked: stop only when empty
                return songs
            offset += len(page)

    def location(self, song_id: str) -> str:
        """Where the mirror says the song is: its stream URL without any authentication (no user,
        token or salt).  A token is a credential (it can be replayed until the password changes) and
        the mirror is not a place for one: `library stats`, the data export and the state file show
        or copy locations.  `url("stream", ...)` authenticates it when it is fetched."""
        return f"{self.base_url}/rest/stream?{urllib.parse.urlencode({'id': song_id})}"

    def song_of(self, url: str) -> str | None:
        """The song id of a stream URL of this server (a mirrored location, `location`'s or one with
        the user and token a mirror made before kept); else None.  The user it names (if any) is not
        compared: the mirror is this server's, whoever asked for the song then."""
        parts = urllib.parse.urlsplit(url)
        if urllib.parse.urlunsplit((*parts[:3], "", "")) != f"{self.base_url}/rest/stream":
            return None
        ids = urllib.parse.parse_qs(parts.query).get("id", [])
        return ids[0] if len(ids) == 1 else None


def bare_location(url: str) -> str:
    """`url` as a mirror keeps a stream URL now (`SubsonicApi.location`) when it is an OpenSubsonic
    stream URL that carries authentication (an older mirror's location, saved in the speaker's
    state: service.state), else `url` as it is.  For what no SubsonicApi of the server is at hand
    for: the state file is read before the library's clients are opened, and the server may no
    longer be configured."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    ids = query.get("id", [])
    if not parts.path.endswith("/rest/stream") or not _AUTH & query.keys() or len(ids) != 1:
        return url
    base = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return f"{base}?{urllib.parse.urlencode({'id': ids[0]})}"
