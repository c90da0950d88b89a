"""A scan's progress as it goes (what the speaker's status shows while a large library is scanned):
files found, checked, new, changed, removed and analysed, reported in phase order, on real files."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import synth

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.scan_summary import PHASES, ScanSummary
from moodspeaker.library.workers import AnalysisPool


def _scan(
    index: LibraryIndex, pool: AnalysisPool, folder: Path
) -> tuple[ScanSummary, list[tuple[str, ScanSummary]]]:
    seen: list[tuple[str, ScanSummary]] = []
    summary = Indexer(index, pool).scan(
        [str(folder)], on_progress=lambda phase, s: seen.append((phase, dataclasses.replace(s)))
    )
    return summary, seen


def _never_backwards(seen: list[tuple[str, ScanSummary]]) -> None:
    order = [PHASES.index(phase) for phase, _ in seen]
    assert order == sorted(order), [phase for phase, _ in seen]
    for field in ("files", "checked", "added", "updated", "removed", "done", "analysed"):
        values = [getattr(s, field) for _, s in seen]
        assert values == sorted(values), (field, values)


def test_progress_counts_files_as_they_are_found_checked_and_analysed(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    music = tmp_path / "music"
    for i, kind in enumerate(("happy", "sad", "happy")):
        synth.write(music / f"cd{i}" / f"{kind}{i}.ogg", synth.song(kind, 3.0))
    index = LibraryIndex(tmp_path / "lib.db")

    summary, seen = _scan(index, pool, music)

    _never_backwards(seen)
    walking = [s.files for phase, s in seen if phase == "walking"]
    assert walking[-1] == 3 and len(walking) >= 4  # after each folder listed (the root and three CDs)
    assert [s.checked for phase, s in seen if phase == "checking"] == [0, 1, 2, 3]
    assert [s.done for phase, s in seen if phase == "analysing"] == [0, 1, 2, 3]
    last = seen[-1][1]
    assert (last.files, last.added, last.updated, last.to_analyse, last.analysed) == (3, 3, 0, 3, 3)
    assert dataclasses.replace(last, seconds=summary.seconds) == summary  # the last report is the result

    # new, changed, touched (same content) and removed files, each counted once for what it is
    os.utime(music / "cd0" / "happy0.ogg", ns=(1, 1))
    synth.write(music / "cd1" / "sad1.ogg", synth.song("happy", 3.0))
    (music / "cd2" / "happy2.ogg").unlink()
    synth.write(music / "new.ogg", synth.song("sad", 3.0))

    again, seen = _scan(index, pool, music)

    _never_backwards(seen)
    counts = (again.files, again.added, again.updated, again.removed, again.reused, again.analysed)
    assert counts == (3, 1, 1, 1, 1, 2)
    assert seen[-1][1].done == again.to_analyse == 2
    assert sorted(Path(t.location).name for t in index.tracks()) == ["happy0.ogg", "new.ogg", "sad1.ogg"]
