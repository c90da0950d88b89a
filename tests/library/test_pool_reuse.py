"""One AnalysisPool serves several scans: the workers (and librosa's JIT warm-up, seconds per process)
are started once, not once per scan, as long as the caller keeps the pool (what the merged passes of
one service rescan need; see the session report).  Real files, real workers, real SQLite."""

from __future__ import annotations

from pathlib import Path

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool
from testcache import numba_cache
from tonetracks import write_tone


def test_two_scans_on_one_pool_start_the_workers_once(tmp_path: Path) -> None:
    music = tmp_path / "music"
    music.mkdir()
    write_tone(music / "a.ogg", 330.0, 3.0, 0.2)
    index = LibraryIndex(tmp_path / "lib.db")
    with AnalysisPool(1, excerpt_s=4.0, numba_cache_dir=numba_cache()) as pool:
        assert pool.executors_started == 0  # nothing to analyse yet: nothing started
        first = Indexer(index, pool).scan([str(music)])
        write_tone(music / "b.ogg", 440.0, 3.0, 0.2)  # copied in before the second pass
        second = Indexer(index, pool).scan([str(music)])
        assert (first.analysed, second.analysed, second.skipped) == (1, 1, 1)
        assert pool.executors_started == 1
