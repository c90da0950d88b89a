"""A library server whose database was replaced: the speaker plays from its mirror until the new
library is copied whole, then swaps; a copy that fails leaves the mirror as it was.

Why: a household re-installs its LAN music server (new disk, new NAS, `library index` run again from
nothing), and the new database's change counter starts again below the one the speaker synced to.
The speaker emptied its mirror on seeing that and failed the sync, so it had nothing to play until a
later sync copied the new library whole, and nothing at all while that copy kept failing (a server
still indexing, a flaky Wi-Fi).  Real library servers (`library serve`'s LibraryServer) over HTTP on
the loopback, the second one on the first one's address as a re-installed server would be; a copy is
made to fail by the new server itself answering 503 in the middle of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import synth
from flask import abort, request
from lankit import add_track

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import LanError, LanLibrary, SyncResult
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import SyncError, sync_remote


def _song(music: Path, name: str) -> Path:
    return synth.write(music / f"{name}.wav", synth.chord(synth.C_MAJOR, 1.0))


class Reinstalled:
    """The re-installed server: `index` (a new database) served where the old server was.  Each time
    the speaker asks it for changes, `seen` gets what the speaker's mirror offers right then (what it
    plays from while it syncs); while `failing`, the second page of a full copy is refused (503), as a
    server that goes away in the middle of it."""

    def __init__(self, index: LibraryIndex, port: int, lan: LanLibrary) -> None:
        self.server = LibraryServer(index, "127.0.0.1", port)
        self.failing = False
        self.seen: list[set[str]] = []

        @self.server.app.before_request
        def asked() -> None:
            if request.path.endswith("/changes"):
                self.seen.append({t.id for t in lan.tracks()})
                if self.failing and request.args.get("since") == "1":
                    abort(503)

        self.server.start()


@dataclass
class Household:
    music: Path
    lan: LanLibrary
    old: set[str]  # what the old server offered, mirrored
    kept: str  # a track the new server offers too (the same file), its audio fetched before
    new_index: LibraryIndex
    server: Reinstalled


@pytest.fixture
def household(tmp_path: Path) -> Iterator[Household]:
    music = tmp_path / "music"
    old_index = LibraryIndex(tmp_path / "old.db")
    old = [add_track(old_index, _song(music, f"song{i}"), v) for i, v in enumerate((-0.5, 0.0, 0.5))]
    first = LibraryServer(old_index, "127.0.0.1", 0).start()
    lan = LanLibrary(first.url, tmp_path / "cache")
    lan.sync(limit=1)
    assert {t.id for t in lan.tracks()} == set(old)
    lan.fetch(old[0])
    first.stop()
    old_index.close()

    new_index = LibraryIndex(tmp_path / "new.db")  # counter: 2, below the 3 the speaker synced to
    assert add_track(new_index, music / "song0.wav", -0.5) == old[0]
    add_track(new_index, _song(music, "song9"), 0.9)
    server = Reinstalled(new_index, first.port, lan)
    try:
        yield Household(music, lan, set(old), old[0], new_index, server)
    finally:
        server.server.stop()
        lan.close()
        new_index.close()


def _ids(lan: LanLibrary) -> set[str]:
    return {t.id for t in lan.tracks()}


def test_one_sync_copies_the_new_library_whole_then_swaps(household: Household) -> None:
    lan, server = household.lan, household.server
    result = lan.sync(limit=1)

    new = {t.id for t in household.new_index.tracks()}
    assert _ids(lan) == new
    assert (result.updated, result.removed) == (2, 2)  # song1 and song2 are gone with the old server
    assert server.seen and all(s == household.old for s in server.seen), "the old mirror until the swap"
    assert lan.sync().updated == 0  # from the new server's counter on: nothing again
    add_track(household.new_index, _song(household.music, "song10"), 0.1)
    assert lan.sync().updated == 1


def test_a_copy_that_fails_leaves_the_mirror_and_a_later_one_completes(household: Household) -> None:
    lan, server = household.lan, household.server
    files = sorted(p.name for p in lan.root.iterdir())
    server.failing = True
    with pytest.raises(SyncError) as failed:
        sync_remote(lan, limit=1)  # as `library sync` and the service's rescan

    assert isinstance(failed.value, LanError)
    assert failed.value.kept == len(household.old)
    assert _ids(lan) == household.old, "the old mirror must stay usable"
    assert server.seen and all(s == household.old for s in server.seen)
    assert lan.fetch(household.kept) == lan.cached_audio(household.kept)  # still plays from its copy
    assert sorted(p.name for p in lan.root.iterdir()) == files  # no half copy left behind

    # Meanwhile the new server's counter reaches the one the speaker synced to: the next sync must
    # still copy the new library whole, not take its latest change as if it followed the old one.
    add_track(household.new_index, _song(household.music, "song10"), 0.1)
    server.failing, server.seen = False, []
    result = sync_remote(lan, limit=1)
    assert isinstance(result, SyncResult)

    assert _ids(lan) == {t.id for t in household.new_index.tracks()}
    assert (result.updated, result.removed) == (3, 2)
    assert all(s == household.old for s in server.seen)
    assert lan.sync().updated == 0


def test_a_whole_copy_marks_the_scrub_only_when_it_deleted_a_note(household: Household) -> None:
    """The swap to the new library forgets the old server's notes; it marked a scrub (a VACUUM of
    the mirror at the next retention: SD-card wear) even when the mirror held none.  Only a deleted
    note needs one."""
    lan = household.lan
    assert lan.cache.stats()["problems"] == []
    lan.sync(limit=1)
    assert _ids(lan) == {t.id for t in household.new_index.tracks()}
    assert not lan.scrub_due


def test_a_whole_copy_that_deletes_a_note_marks_the_scrub(household: Household) -> None:
    lan = household.lan
    gone = sorted(household.old - {household.kept})[0]  # not on the new server: its download fails
    with pytest.raises(LanError):
        lan.fetch(gone)
    assert [d["track_id"] for d in lan.failed_downloads()] == [gone]
    lan.sync(limit=1)
    assert lan.failed_downloads() == []
    assert lan.scrub_due  # the note's deleted row is still in the files until the next retention
