"""A library server's database identity: a replaced server is spotted even when its change counter
is already past the speaker's cursor, and servers from before the identity still sync as before.

Why: the speaker spotted a replaced server (a re-installed NAS) only by its change counter going
back.  A new library indexed with more changes than the old one had (a bigger music folder, or one
scanned twice) starts past the speaker's cursor: the speaker took its latest changes as if they
followed the old library's, kept the old library's tracks and never got the new one's first tracks.
Now `info` says which database the server serves (a random id made once with it), and a different
one is copied whole.  A server that does not say (an older release) is unknown, not different: the
counter rule alone decides then.  Real library servers (`library serve`'s LibraryServer) over HTTP
on the loopback, the new one on the old one's address as a re-installed server would be.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import synth
from lankit import add_track, as_older_release, cached_files

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.server import LibraryServer


def _song(music: Path, name: str) -> Path:
    return synth.write(music / f"{name}.wav", synth.chord(synth.C_MAJOR, 1.0))


def _info(server: LibraryServer) -> dict[str, object]:
    with urllib.request.urlopen(f"{server.url}/api/v1/info") as resp:
        data = json.loads(resp.read())
    assert isinstance(data, dict)
    return data


def _ids(lan: LanLibrary) -> set[str]:
    return {t.id for t in lan.tracks()}


def test_info_names_the_database_served(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "one.db")
    add_track(index, _song(tmp_path / "music", "a"), 0.1)
    counter = index.change_counter()
    first = LibraryServer(index, "127.0.0.1", 0).start()
    identity = _info(first).get("library_id")
    first.stop()
    assert isinstance(identity, str) and len(identity) >= 16
    assert index.change_counter() == counter, "the identity is not a change clients should sync"

    again = LibraryServer(index, "127.0.0.1", 0).start()  # the same database served again
    other_index = LibraryIndex(tmp_path / "two.db")
    other = LibraryServer(other_index, "127.0.0.1", 0).start()
    try:
        assert _info(again)["library_id"] == identity
        assert _info(other)["library_id"] not in (identity, None)
    finally:
        again.stop()
        other.stop()
        index.close()
        other_index.close()


def test_a_replaced_server_already_past_the_cursor_is_copied_whole(tmp_path: Path) -> None:
    music = tmp_path / "music"
    old_index = LibraryIndex(tmp_path / "old.db")
    kept = add_track(old_index, _song(music, "kept"), 0.1)
    gone = add_track(old_index, _song(music, "gone"), 0.2)
    old = LibraryServer(old_index, "127.0.0.1", 0).start()
    lan = LanLibrary(old.url, tmp_path / "cache")
    lan.sync()
    lan.fetch(kept)
    lan.fetch(gone)
    old.stop()
    old_index.close()

    # re-installed: a bigger library, its counter past the cursor before the speaker syncs again
    new_index = LibraryIndex(tmp_path / "new.db")
    assert add_track(new_index, music / "kept.wav", 0.1) == kept
    new = {kept} | {add_track(new_index, _song(music, f"new{i}"), 0.3) for i in range(3)}
    assert new_index.change_counter() > int(lan.cache.meta("lan_cursor") or 0)
    server = LibraryServer(new_index, "127.0.0.1", old.port).start()
    try:
        result = lan.sync()
        assert _ids(lan) == new, "the old library's track stayed, or the new one's first ones are missing"
        assert (result.updated, result.removed) == (4, 1)
        assert set(cached_files(lan)) == {kept}, "the audio of the track gone with the old server stays"
        assert lan.sync().updated == 0
    finally:
        server.stop()
        lan.close()
        new_index.close()


def test_older_servers_without_an_identity_sync_by_the_counter(tmp_path: Path) -> None:
    music = tmp_path / "music"
    index = LibraryIndex(tmp_path / "server.db")
    add_track(index, _song(music, "a"), 0.1)
    older = as_older_release(LibraryServer(index, "127.0.0.1", 0)).start()
    assert "library_id" not in _info(older)
    lan = LanLibrary(older.url, tmp_path / "cache")
    assert lan.sync().updated == 1
    add_track(index, _song(music, "b"), 0.2)
    assert lan.sync().updated == 1, "followed change by change"
    port = older.port
    older.stop()

    # the server upgraded, same database: its identity is new to the mirror, not a different library
    upgraded = LibraryServer(index, "127.0.0.1", port).start()
    add_track(index, _song(music, "c"), 0.3)
    assert lan.sync().updated == 1, "a whole copy on meeting the identity"
    upgraded.stop()

    # downgraded again: no identity is unknown, not different
    downgraded = as_older_release(LibraryServer(index, "127.0.0.1", port)).start()
    add_track(index, _song(music, "d"), 0.4)
    assert lan.sync().updated == 1
    downgraded.stop()

    # and an identity different from the one the mirror met is a replaced database
    replaced_index = LibraryIndex(tmp_path / "replaced.db")
    only = {add_track(replaced_index, _song(music, f"r{i}"), 0.5) for i in range(6)}
    assert replaced_index.change_counter() > index.change_counter()
    replaced = LibraryServer(replaced_index, "127.0.0.1", port).start()
    try:
        lan.sync()
        assert _ids(lan) == only
    finally:
        replaced.stop()
        lan.close()
        index.close()
        replaced_index.close()


def test_an_older_server_replaced_is_still_spotted_by_its_counter_going_back(tmp_path: Path) -> None:
    music = tmp_path / "music"
    index = LibraryIndex(tmp_path / "server.db")
    for i in range(3):
        add_track(index, _song(music, f"a{i}"), 0.1)
    older = as_older_release(LibraryServer(index, "127.0.0.1", 0)).start()
    lan = LanLibrary(older.url, tmp_path / "cache")
    lan.sync()
    older.stop()
    index.close()

    smaller = LibraryIndex(tmp_path / "smaller.db")
    only = {add_track(smaller, _song(music, "b"), 0.2)}
    replaced = as_older_release(LibraryServer(smaller, "127.0.0.1", older.port)).start()
    try:
        lan.sync()
        assert _ids(lan) == only
    finally:
        replaced.stop()
        lan.close()
        smaller.close()
