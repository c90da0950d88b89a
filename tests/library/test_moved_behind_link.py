"""A known file that its folder's complete listing no longer gives leaves the index, even when its old
path still opens: the household moves an album into an archive folder and leaves a link at the old
place.  The album is indexed at its new place; the old entries stayed too, and each song was in the
library twice (picked twice as often, counted twice in the stats)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import synth

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool


def test_an_album_moved_behind_a_link_is_indexed_once(tmp_path: Path, pool: AnalysisPool) -> None:
    music = tmp_path / "music"
    synth.write(music / "Album" / "one.wav", synth.song("happy", 3.0))
    synth.write(music / "Album" / "two.flac", synth.song("sad", 3.0))
    index = LibraryIndex(tmp_path / "lib.db")
    indexer = Indexer(index, pool)
    first = indexer.scan([str(music)])
    assert (first.analysed, first.failed) == (2, [])
    (music / "archive").mkdir()
    shutil.move(music / "Album", music / "archive" / "Album")
    os.symlink("archive/Album", music / "Album")  # the old paths still open
    ids = {t.id for t in index.tracks()}
    again = indexer.scan([str(music)])
    assert (again.removed, again.moved) == (0, 2)  # the link leads to the files moved: they keep their ids
    assert {t.id for t in index.tracks()} == ids
    locations = sorted(os.path.relpath(t.location, music) for t in index.tracks())
    assert locations == ["archive/Album/one.wav", "archive/Album/two.flac"]
    assert index.stats()["tracks"] == 2


def test_a_file_the_walk_could_not_take_stays(tmp_path: Path, pool: AnalysisPool) -> None:
    """Met but not taken: its entry is not deleted for that (a flaky disk's I/O error on one file must
    not drop it; a pipe stands in for that file here, since tests may run as root, who reads any file)."""
    music = tmp_path / "music"
    synth.write(music / "kept.wav", synth.song("happy", 3.0))
    synth.write(music / "odd.wav", synth.song("sad", 3.0))
    index = LibraryIndex(tmp_path / "lib.db")
    indexer = Indexer(index, pool)
    indexer.scan([str(music)])
    (music / "odd.wav").unlink()
    os.mkfifo(music / "odd.wav")
    again = indexer.scan([str(music)])
    assert again.removed == 0
    assert sorted(Path(t.location).name for t in index.tracks()) == ["kept.wav", "odd.wav"]
