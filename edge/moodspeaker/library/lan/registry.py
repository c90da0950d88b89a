"""Which open library server client a stream URL belongs to: how the player finds a track's download.

Why: a library server's track reaches the player as its stream URL (the mirror's location), and only
the client that mirrored it (`LanLibrary`) knows that server's download cache: which version of the
track is current, where its download is, how to hold it while it plays.  The service opens the
clients with the library (service.components) and the player apart from them (service.app), so each
client registers itself here when it is made, and the player (player.fetch) asks which one serves a
URL.  Without it the player downloaded every play again into a buffer of its own: a track heard
before could not play with the server off, and the cache, bounded and swept, was never filled.

Clients are held weakly (a client dropped is forgotten); of several on one server, the one made last
answers (they share the cache folder when they share the data folder, as the service and `library
sync` do).  A URL no client serves (an OpenSubsonic server's, any other) is downloaded as before.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol


class CachedAudio(Protocol):
    """What the player needs of a client: its tracks' stream URLs, and a track's file held (fetched
    first if need be) for as long as the block lasts (`LanLibrary.playing`)."""

    def stream_url(self, track_id: str) -> str: ...

    def playing(self, track_id: str) -> AbstractContextManager[Path]: ...


_lock = threading.Lock()
_clients: weakref.WeakValueDictionary[str, CachedAudio] = weakref.WeakValueDictionary()


def register(client: CachedAudio) -> None:
    """`client` serves the stream URLs it makes (`stream_url`) from now on."""
    with _lock:
        _clients[client.stream_url("")] = client


def serving(url: str) -> tuple[CachedAudio, str] | None:
    """The client whose stream URL `url` is, with the track id it names; None when no open client
    serves it."""
    prefix, _, track_id = url.rpartition("/")
    if not track_id:
        return None
    with _lock:
        client = _clients.get(prefix + "/")
    if client is None or client.stream_url(track_id) != url:
        return None
    return client, track_id
