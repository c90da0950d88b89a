"""The same content found several times in one scan (a copied album, a song in two folders) is
analysed once and the copies take its analysis: a library with copies was analysed copy by copy (on
two cores, minutes per hundred copies); only copies already in the index were reused."""

from __future__ import annotations

import shutil
from pathlib import Path

import synth

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool


def test_copies_in_one_scan_are_analysed_once(tmp_path: Path, pool: AnalysisPool) -> None:
    music = tmp_path / "music"
    song = synth.write(music / "Album" / "song.flac", synth.song("happy", 3.0))
    for folder in ("Copy", "Best of", "Best of 2"):
        (music / folder).mkdir()
        shutil.copy(song, music / folder / "song.flac")
    (music / "broken.mp3").write_bytes(b"not audio at all" * 100)
    shutil.copy(music / "broken.mp3", music / "broken copy.mp3")  # a copy of a failure fails itself
    index = LibraryIndex(tmp_path / "lib.db")
    done: list[str] = []
    summary = Indexer(index, pool).scan([str(music)], on_done=lambda path, error: done.append(path))
    assert summary.analysed == 1 and summary.reused == 3
    assert sorted(Path(p).name for p, _ in summary.failed) == ["broken copy.mp3", "broken.mp3"]
    assert summary.done == summary.to_analyse == 6 and len(done) == 6
    stats = index.stats()
    assert (stats["analysed"], stats["failed"], stats["pending"]) == (4, 2, 0)
    values = {(t.valence, t.arousal, t.tempo) for t in index.tracks() if t.location.endswith("song.flac")}
    assert len(values) == 1
