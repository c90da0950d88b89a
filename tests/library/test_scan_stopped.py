"""A scan stopped between two files (the service shutting down) keeps the analyses it finished.

The indexer commits analyses in batches; a scan stopped by its caller (a progress or done callback
raising, as the service's rescan does when the speaker stops) used to drop the finished analyses of
the open batch, so the next scan did them again.  Real files, real workers, real SQLite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool
from tonetracks import write_tone


class _StopScanError(Exception):  # what the caller raises to stop the scan
    pass


def test_a_scan_stopped_after_one_analysis_keeps_it_and_the_next_scan_does_the_rest(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    for i in range(3):
        write_tone(music / f"t{i}.ogg", 220.0 + 60 * i, 3.0, 0.2)
    index = LibraryIndex(tmp_path / "lib.db")
    first: list[str] = []

    def stop_after_the_first(path: str, error: str | None) -> None:
        assert error is None, (path, error)
        first.append(path)
        raise _StopScanError

    # one batch for the whole scan: nothing is committed by size or time before the stop
    indexer = Indexer(index, pool, batch_size=100, batch_seconds=3600.0)
    with pytest.raises(_StopScanError):
        indexer.scan([str(music)], on_done=stop_after_the_first)

    states = index.file_states()
    assert {p: s.status for p, s in states.items() if s.status != "pending"} == {first[0]: "analysed"}
    assert len(states) == 3  # the others wait, pending, for the next scan

    summary = Indexer(index, pool).scan([str(music)])
    assert (summary.analysed, summary.skipped, summary.failed) == (2, 1, [])
    assert index.stats()["analysed"] == 3
