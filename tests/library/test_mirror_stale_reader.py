"""A reader notices at its next read that another process deleted or replaced the mirror file.

Why: a client keeps the mirror's database open (the service's planner reads it every few seconds).
When another process removed the folder (its failed first sync: sources.sync_remote; a prune) the
reader went on reading the deleted copy until its own next sync (`_one_sync` was the only place
that looked): the tracks a sync of the other process wrote since stayed invisible, and a mirror
deleted for good was still listed (`has_mirror`).  Each use now compares the file on disk with the
one open (`MirroredLibrary._current`).  And the file was opened after SQLite had opened the
database: one deleted, and made anew by another sync, between the two was taken for the one SQLite
had open, and the deleted copy was never noticed.  It is opened first now, and checked once SQLite
opened the database.

Real library servers on the loopback, real SQLite; two clients of one cache folder, as two
processes are.  The deletion between the two opens is placed there by a LibraryIndex whose
constructor runs the other process's steps once it has opened the database (no timing).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import synth
from lankit import add_track, read_during_a_failed_first_sync

from moodspeaker.library import index as index_module
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan import mirror
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import sync_remote


@pytest.fixture
def library(tmp_path: Path) -> Iterator[LibraryIndex]:
    with LibraryIndex(tmp_path / "server.db") as index:
        yield index


def _add(index: LibraryIndex, music: Path, n: int) -> set[str]:
    """`n` more tracks in the served library; their ids."""
    start = len(index.tracks())
    return {add_track(index, synth.write(music / f"s{i}.wav", synth.chord(synth.C_MAJOR, 1.0)), 0.1)
            for i in range(start, start + n)}  # fmt: skip


def test_a_reader_sees_the_mirror_another_process_made_after_a_failed_first_sync(
    tmp_path: Path, library: LibraryIndex
) -> None:
    ids = _add(library, tmp_path / "music", 3)
    cache = tmp_path / "cache"
    with read_during_a_failed_first_sync(library, cache) as (server, reader):
        other = LanLibrary(server.url, cache)  # another process, later
        try:
            assert not reader.has_mirror(), "the reader still lists the mirror the failed sync removed"
            assert getattr(sync_remote(other), "updated", None) == 3
            assert {t.id for t in reader.tracks()} == ids, "the reader reads the deleted mirror"
            assert reader.get(next(iter(ids))) is not None and len(reader.feature_matrix()[0]) == 3
        finally:
            other.close()


@pytest.mark.parametrize("meanwhile", ["deleted", "deleted and made anew"])
def test_a_mirror_deleted_while_it_is_opened_is_noticed(
    tmp_path: Path, library: LibraryIndex, monkeypatch: pytest.MonkeyPatch, meanwhile: str
) -> None:
    ids = _add(library, tmp_path / "music", 1)
    server = LibraryServer(library, "127.0.0.1", 0).start()
    cache = tmp_path / "cache"
    reader = LanLibrary(server.url, cache)
    try:
        assert getattr(sync_remote(LanLibrary(server.url, cache)), "updated", None) == 1
        ids |= _add(library, tmp_path / "music", 2)  # what a mirror made anew has, not the old one
        armed = [True]

        class OtherProcessMeanwhile(index_module.LibraryIndex):
            """The database opened, then (once) the mirror deleted, and made anew, elsewhere."""

            def __init__(self, path: str | Path) -> None:
                super().__init__(path)
                if armed.pop() if armed else False:
                    assert mirror.delete_mirror(reader.root)
                    if meanwhile == "deleted and made anew":
                        assert getattr(sync_remote(LanLibrary(server.url, cache)), "updated", None) == 3

        monkeypatch.setattr(mirror, "LibraryIndex", OtherProcessMeanwhile)
        found = {t.id for t in reader.tracks()}
        assert not armed, "the mirror was not opened: this test shows nothing"
        if meanwhile == "deleted":
            assert found == set() and not reader.has_mirror(), "the reader reads the deleted mirror"
            assert not reader.root.exists()  # nor made anew by reading
        else:
            assert found == ids, "the reader reads the deleted mirror"
    finally:
        reader.close()
        server.stop()
