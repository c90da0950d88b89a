"""Health's `library` says what a library server answered when its track could not be played.

Why: a track of a library server whose download failed set `library` to "cannot download ...;
library server <url> unreachable?" whatever the failure, also when the server had answered: it has
no such track any more (HTTP 404, or 410 for a file gone from its disk: a rescan is what helps), the
download was cut short (the server or the network dropped it half-way), or the file is larger than
the speaker's download cache (library.server_cache_mb).  The owner was sent to check a server that
works.  Now the player says how far the audio came (player.fetch.Obtained) and health names it.
And a second reason from the same server (a damaged download, then the server off) is warned of too,
where only a change of server was; the same reason again is not warned of at each track.
The real wiring (`build_parts` from the config, a scripted camera), a real library server on the
loopback, the real player on SDL's dummy driver.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from lanservicekit import cut_streams, lan_service, library_health, queue_and_play, running_server
from servicekit import wait_for

from damagekit import zeroed
from moodspeaker.config.schema import LibraryConfig
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import ErrorReported, Event
from moodspeaker.vision.expression import default_model_json

pytestmark = pytest.mark.timeout(180)


def _unindexed(_server: LibraryServer, served: Path) -> None:
    """The server's index no longer has a.ogg's track (a rescan there, not yet synced here): 404."""
    with LibraryIndex(served / "server.db") as index, index.batch() as b:
        b.remove(str(served / "music" / "a.ogg"))


def _file_gone(_server: LibraryServer, served: Path) -> None:
    """a.ogg deleted from the server's disk, still in its index: 410."""
    (served / "music" / "a.ogg").unlink()


def _cut(server: LibraryServer, _served: Path) -> None:
    """Every stream sent half, then the connection closed (set before the server's first request)."""
    cut_streams(server)


def _too_large(_server: LibraryServer, served: Path) -> None:
    """a.ogg larger than the whole download cache (the default bound): a sparse file, never sent."""
    song = served / "music" / "a.ogg"
    with song.open("r+b") as f:
        f.truncate((LibraryConfig().server_cache_mb + 1) * 2**20)
    if os.stat(song).st_blocks * 512 > 2**20:
        pytest.skip("no sparse files on this file system")


#: by case: what is done to the server (before its first request, or once the speaker synced), and
#: what health says
CASES: dict[str, tuple[Callable[[LibraryServer, Path], None], bool, str]] = {
    "404": (_unindexed, False, "has no such track any more (HTTP 404): rescan"),
    "410": (_file_gone, False, "has no such track any more (HTTP 410): rescan"),
    "cut-short": (_cut, True, "was cut short"),
    "too-large": (_too_large, False, f"is too large: over {LibraryConfig().server_cache_mb} MB"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_health_names_what_the_server_answered_not_unreachable(tmp_path: Path, case: str) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    make, before_sync, said = CASES[case]
    with running_server(tmp_path) as (server, (first, _second)):
        if before_sync:
            make(server, tmp_path)
        service = lan_service(tmp_path / "data", server.url, synced=2)
        if not before_sync:  # the speaker still lists the track
            make(server, tmp_path)
        app = service.app
        app.start()
        try:
            queue_and_play(app, first)
            wait_for(lambda: library_health(app)["state"] == "missing", what="health's library missing")
            detail = library_health(app)["detail"]
            assert "unreachable" not in detail, f"a server that answered blamed as unreachable: {detail}"
            assert said in detail and server.url in detail, detail
        finally:
            service.close()


def _skips(app_events: Sequence[Event], title: str) -> int:
    return sum(isinstance(e, ErrorReported) and e.message.startswith(f"skipped {title}:") for e in app_events)


def test_a_new_reason_of_the_same_server_is_warned_of_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if not default_model_json().is_file():
        pytest.skip("no expression model shipped (build_parts loads it)")
    caplog.set_level(logging.WARNING, logger="moodspeaker.service")
    with running_server(tmp_path) as (server, (first, second)):
        service = lan_service(tmp_path / "data", server.url, synced=2)
        app, events = service.app, service.events
        app.start()
        try:
            zeroed(tmp_path / "music" / "a.ogg")  # its download arrives damaged
            queue_and_play(app, first)
            wait_for(lambda: "damaged" in library_health(app)["detail"], what="health: damaged")
            server.stop()  # then the same server goes off
            for n in (1, 2):  # a track of it twice: the reason changed once
                _play_and_skip(app, events, second, "b", n)
            assert "unreachable" in library_health(app)["detail"], library_health(app)
        finally:
            service.close()
    warned = [r.getMessage() for r in caplog.records if r.getMessage().startswith("library: ")]
    assert len(warned) == 2, f"one warning per reason, not per track: {warned}"
    assert "damaged" in warned[0] and "unreachable" in warned[1], warned


def _play_and_skip(app: Appliance, events: Sequence[Event], track: str, title: str, n: int) -> None:
    """`track` (titled `title`) queued and played, and its `n`th skip as unplayable reported (the
    service heard of it before: player.history.PlayHistory.failed)."""
    queue_and_play(app, track)
    wait_for(lambda: _skips(events, title) >= n, what=f"skip {n} of {title}")
