"""An OpenSubsonic mirror keeps no credential: its locations carry no token, an older mirror's lose theirs.

Why: the mirror stored each song's stream URL with the user's salted token (`t=`, `s=`) as the
song's location.  That token is a credential (it can be replayed until the password changes), and
the mirror is not a place for one: `library stats`, the data export, backups and the state file show
or copy locations.  Now the mirror keeps the bare stream URL (`?id=<song>`) and the client adds the
authentication when it downloads (SubsonicApi.location / url); a mirror made before is rewritten at
the next sync (before the server is asked, so a server gone for good too) and its files scrubbed of
the old tokens, and its songs play all the same meanwhile.  The OpenSubsonic server of subsonickit on
the loopback, a real analysis pool.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from lankit import older_mirror, on_disk, tone_song

from moodspeaker.library.lan.client import LanError
from moodspeaker.library.lan.downloads import ServerDownloads
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from subsonickit import Subsonic, served


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    with served({"s1": tone_song(tmp_path / "music" / "1.flac", "Tone", duration=2)}) as srv:
        yield srv


def _auth(location: str) -> set[str]:
    """The authentication parameters a location carries."""
    return set(urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)) & {"u", "t", "s", "p"}


def _plays(lib: SubsonicLibrary, location: str, server: Subsonic) -> None:
    """The song at `location` plays as the player plays it (lan.downloads), downloaded now."""
    lib.audio.forget_uses()  # no copy: the play has to ask the server
    streamed = len(server.streams)
    held = ServerDownloads([lib]).hold(location)
    assert held is not None, f"no client serves {location}"
    with held as path:
        assert path.read_bytes() == Path(server.songs["s1"]["path"]).read_bytes()
    assert len(server.streams) == streamed + 1


def test_a_mirrored_location_carries_no_credential(
    server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    assert lib.sync(pool).analysed == 1
    [track] = lib.tracks()
    assert _auth(track.location) == set(), f"a credential in the mirror: {track.location}"
    assert lib.song_of(track.location) == "s1"
    assert not on_disk(lib, "&t="), "a token in the mirror's files"
    _plays(lib, track.location, server)  # authenticated when it is fetched


def test_an_older_mirrors_tokens_go_and_its_songs_play_meanwhile(
    server: Subsonic, lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    assert lib.sync(pool).analysed == 1
    old, token = older_mirror(lib, "s1")

    _plays(lib, old, server)  # before any sync: an older mirror's song plays as it did

    server.stop()  # and the next sync rewrites it, with the server gone for good too
    with pytest.raises(LanError):
        lib.sync(pool)
    [track] = lib.tracks()
    assert _auth(track.location) == set(), f"the older mirror's token stayed: {track.location}"
    assert lib.song_of(track.location) == "s1"
    assert not on_disk(lib, token), f"the old token is still readable in {on_disk(lib, token)}"
