"""Which of a speaker's library server clients serves a stream URL: the player's way to their downloads.

Why: a library server's track reaches the player as its stream URL (the mirror's location), and only
the client that mirrored it (`LanLibrary`) knows that server's download cache: which version of the
track is current, where its download is, how to hold it while it plays.  The service opens the
clients with the library (service.components) and hands this view of the same clients to the player
it builds (`player.fetch.StreamCache`), so the player plays from its own speaker's caches and no
other: a second service in the process, or a `library sync` of another data folder, has clients of
its own that this one never sees.  The clients are fixed for the service's life: `library.servers`
is not a live setting (service.app.LIVE_SETTINGS), a change to it takes a restart, which opens
them and this view anew.

A URL none of them serves (an OpenSubsonic server's, whose downloads are not kept; any other) is
the player's to download as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path

from moodspeaker.library.lan.client import LanLibrary


class ServerDownloads:
    """The download caches of `clients`' library servers, by stream URL (`player.fetch.StreamCache`).

    Other remotes among `clients` (OpenSubsonic) are left out.  Of two clients of one server (the
    same URL listed twice), the first answers: they share the cache folder."""

    def __init__(self, clients: Iterable[object]) -> None:
        self._by_prefix: dict[str, LanLibrary] = {}
        for client in clients:
            if isinstance(client, LanLibrary):
                self._by_prefix.setdefault(client.stream_url(""), client)

    @property
    def clients(self) -> list[LanLibrary]:
        """The library server clients whose downloads are served (in the order given)."""
        return list(self._by_prefix.values())

    def hold(self, url: str) -> AbstractContextManager[Path] | None:
        """The track at `url` held in its client's cache (`LanLibrary.playing`: fetched on entering
        if need be); None when no client here serves `url`."""
        prefix, _, track_id = url.rpartition("/")
        client = self._by_prefix.get(prefix + "/") if track_id else None
        if client is None or client.stream_url(track_id) != url:
            return None
        return client.playing(track_id)
