"""Which of a speaker's remote library clients serves a stream URL: the player's way to their downloads.

Why: a remote track reaches the player as its stream URL (the mirror's location), and only the
client that mirrored it knows that server's download cache: which version of the track is current,
where its download is, how to hold it while it plays.  Both kinds keep one (library.lan.audiocache):
a library server's client (`LanLibrary`, its tracks by `/api/v1/stream/<id>`) and an OpenSubsonic
server's (`SubsonicLibrary`, its songs by `/rest/stream?id=<song>`).  The service opens the clients
with the library (service.components) and hands this view of the same clients to the player it
builds (`player.fetch.StreamCache`), so the player plays from its own speaker's caches and no other:
a second service in the process, or a `library sync` of another data folder, has clients of its own
that this one never sees.  The clients are fixed for the service's life: `library.servers` is not a
live setting (service.restart_rules.LIVE_SETTINGS), a change to it takes a restart, which opens them and this
view anew.

A URL none of them serves is the player's to download as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path

from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.subsonic import SubsonicLibrary


class ServerDownloads:
    """The download caches of `clients`' servers, by stream URL (`player.fetch.StreamCache`).

    Anything else among `clients` is left out.  Of two clients of one server (the same URL listed
    twice), the first answers: they share the cache folder."""

    def __init__(self, clients: Iterable[object]) -> None:
        self._by_prefix: dict[str, LanLibrary] = {}
        self._subsonic: dict[Path, SubsonicLibrary] = {}  # by mirror folder: one per server URL
        self._clients: list[LanLibrary | SubsonicLibrary] = []
        for client in clients:
            if isinstance(client, LanLibrary) and client.stream_url("") not in self._by_prefix:
                self._by_prefix[client.stream_url("")] = client
                self._clients.append(client)
            elif isinstance(client, SubsonicLibrary) and client.root not in self._subsonic:
                self._subsonic[client.root] = client
                self._clients.append(client)

    @property
    def clients(self) -> list[LanLibrary | SubsonicLibrary]:
        """The clients whose downloads are served (in the order given); each keeps them in `.audio`."""
        return list(self._clients)

    def hold(self, url: str) -> AbstractContextManager[Path] | None:
        """The track at `url` held in its client's cache (`playing`: fetched on entering if need be);
        None when no client here serves `url`."""
        prefix, _, track_id = url.rpartition("/")
        client = self._by_prefix.get(prefix + "/") if track_id else None
        if client is not None and client.stream_url(track_id) == url:
            return client.playing(track_id)
        for sub in self._subsonic.values():
            song = sub.song_of(url)
            if song is not None:
                return sub.playing(song)
        return None
