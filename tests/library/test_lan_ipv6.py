"""Servers at an IPv6 literal address (http://[::1]:4533): the brackets are part of the URL.

SubsonicApi rebuilt its base URL from the parsed host name, which has no brackets: `http://::1:4533`
is no usable URL (every request and every location the mirror kept was of that form).  The library
server's client keeps the URL as given (fine); the library server's own `url` (printed by `library
serve`) had the same fault.  Tested against real servers bound to ::1; skipped where the machine
has no IPv6 loopback (a container without it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import synth
from lankit import add_track, needs_ipv6_loopback, tone_song

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from subsonickit import served


@pytest.fixture(autouse=True)
def _needs_ipv6() -> Iterator[None]:
    needs_ipv6_loopback()
    yield


def test_subsonic_server_at_an_ipv6_literal(tmp_path: Path, pool: AnalysisPool) -> None:
    songs = {"s1": tone_song(tmp_path / "1.flac", "Tone")}
    with served(songs, host="::1") as srv:
        assert srv.url.startswith("http://alice:s3cret@[::1]:")
        lib = SubsonicLibrary(srv.url, tmp_path / "cache")
        assert lib.base_url == f"http://[::1]:{srv.server_port}"
        result = lib.sync(pool)
        assert result.analysed == 1, result.failed
        (track,) = lib.tracks()
        assert track.location == f"http://[::1]:{srv.server_port}/rest/stream?id=s1"
        assert lib.song_of(track.location) == "s1"
        with lib.playing("s1") as path:
            assert path.read_bytes() == Path(songs["s1"]["path"]).read_bytes()


def test_library_server_at_an_ipv6_literal(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "server.db")
    audio = synth.write(tmp_path / "music" / "song.wav", synth.chord(synth.C_MAJOR, 1.0))
    tid = add_track(index, audio, 0.5)
    server = LibraryServer(index, "::1", 0).start()
    try:
        assert server.url == f"http://[::1]:{server.port}"
        lan = LanLibrary(server.url, tmp_path / "cache")
        assert lan.sync().updated == 1
        assert lan.fetch(tid).read_bytes() == audio.read_bytes()
        lan.close()
    finally:
        server.stop()
        index.close()
