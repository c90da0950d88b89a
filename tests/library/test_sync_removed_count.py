"""`library sync` counts as removed only the tracks the mirror had: a first sync into an empty mirror
said '29 new or updated, 18 removed' (every removal the server ever made)."""

from __future__ import annotations

from pathlib import Path

import synth

from moodspeaker.library.index import FEATURE_COLUMNS, LibraryIndex, Tags, track_id
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.server import LibraryServer


def _add(index: LibraryIndex, path: Path) -> None:
    values = dict(zip(FEATURE_COLUMNS, (0.2, 0.1, 0.5, 120.0, -12.0, 1, 0.4), strict=True))
    with index.batch() as b:
        b.upsert_file(str(path), path.stat().st_size, 1, "h" + path.name, Tags(path.stem, "Artist"))
        b.set_analysed(str(path), {}, values)


def test_first_sync_removes_nothing_and_later_ones_count_what_went(tmp_path: Path) -> None:
    index = LibraryIndex(tmp_path / "server.db")
    songs = [synth.write(tmp_path / "music" / f"s{i}.wav", synth.chord(synth.C_MAJOR, 1.0)) for i in range(3)]
    for song in songs:
        _add(index, song)
    with index.batch() as b:
        b.remove(str(songs[0]))  # removed before any speaker synced
    server = LibraryServer(index, "127.0.0.1", 0).start()
    try:
        lan = LanLibrary(server.url, tmp_path / "cache")
        first = lan.sync()
        assert (first.updated, first.removed) == (2, 0)
        with index.batch() as b:
            b.remove(str(songs[1]))
        second = lan.sync()
        assert (second.updated, second.removed) == (0, 1)
        assert [t.id for t in lan.tracks()] == [track_id(str(songs[2]))]
        lan.close()
    finally:
        server.stop()
        index.close()
