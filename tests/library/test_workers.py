"""The worker pool's watchdog: a file that blocks forever (a FIFO stands in for a hung network mount)."""

from __future__ import annotations

import os
from pathlib import Path

import synth

from moodspeaker.library.scanner import walk
from moodspeaker.library.workers import AnalysisPool


def test_stuck_file_times_out_and_the_rest_is_analysed(tmp_path: Path, pool: AnalysisPool) -> None:
    good = [str(synth.write(tmp_path / f"g{i}.wav", synth.song("happy", 2.0))) for i in range(3)]
    stuck = tmp_path / "stuck.wav"
    os.mkfifo(stuck)  # opening it for reading blocks until a writer comes: never
    saved = pool.task_timeout_s
    pool.task_timeout_s = 4.0
    try:
        results = {r.path: r for r in pool.analyse([str(stuck), *good])}
    finally:
        pool.task_timeout_s = saved
    assert "analysis did not finish in 4 s" in (results[str(stuck)].error or "")
    assert all(results[p].analysis is not None for p in good)
    # the pool works again afterwards
    assert next(iter(pool.analyse(good[:1]))).analysis is not None
    # and the scanner never hands such a file to the analysis in the first place
    walked = walk([tmp_path])
    assert str(stuck) not in [f.path for f in walked.files]
    assert [p.kind for p in walked.problems] == ["not-a-file"]
