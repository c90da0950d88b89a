"""One factory for every remote library in `library.servers`.

- http(s)://host:port                         a Moodspeaker library server (`library serve`)
- subsonic+http(s)://user:password@host:port  an OpenSubsonic server (Navidrome, Gonic, ...)
Both answer tracks()/get()/feature_matrix()/query() from a local mirror and have sync() (LanError
when the server cannot be reached; the mirror stays usable).
"""

from __future__ import annotations

from pathlib import Path

from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.subsonic import SubsonicLibrary

SUBSONIC_PREFIX = "subsonic+"


def open_remote(url: str, cache_dir: str | Path) -> LanLibrary | SubsonicLibrary:
    """The right client for `url`; ValueError for a URL that is neither."""
    if url.startswith(SUBSONIC_PREFIX):
        return SubsonicLibrary(url[len(SUBSONIC_PREFIX) :], cache_dir)
    return LanLibrary(url, cache_dir)
