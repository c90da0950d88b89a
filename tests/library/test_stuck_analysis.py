"""A file the analysis gets stuck on does not hold up the scan, nor leave its decoder running.

Why: a corrupt or hostile file can send a decoder into a loop that never ends (ffmpeg writing
nothing, a C decoder inside the worker).  The pool bounds each file's analysis by its length
(workers.AnalysisPool.bound_s); past it the file fails saying so, the workers are killed with the
ffmpeg they started (before, the ffmpeg lived on, orphaned, looping for ever) and replaced, and the
rest is analysed.  A scan stopped meanwhile stops the stuck worker too.  The hang is real: an `ffmpeg`
on PATH that never writes (hungkit), fed a raw AAC file whose frames hold no audio.  The bounds are
set small here through the pool's `task_timeout_s`, and the good files get long ones (the bound grows
with the length passed), so a busy machine cannot fail them; the tests wait for what happens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import synth

from hungkit import HANGS, HungFfmpeg, alive, hostile_aac
from moodspeaker.library.audio import DecodeError, read_excerpts
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool
from polling import until
from testcache import numba_cache

pytestmark = pytest.mark.timeout(300)

BASE_S = 2.0  # the pool's base bound here (its default is minutes)
STUCK = "analysis did not finish in {} s (a decoder stuck on this file, or a hung mount?)"


@pytest.fixture
def hung(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HungFfmpeg]:
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS)
    try:
        yield ffmpeg
    finally:
        ffmpeg.kill_all()


@pytest.fixture
def pool(hung: HungFfmpeg) -> Iterator[AnalysisPool]:
    """Workers started with the hung ffmpeg first on their PATH (the session's pool has the real one)."""
    with AnalysisPool(2, excerpt_s=4.0, numba_cache_dir=numba_cache(), task_timeout_s=BASE_S) as p:
        yield p


def ended(ffmpeg: HungFfmpeg) -> None:
    """Wait until the fake ffmpeg started and every process it started has ended."""
    until(lambda: ffmpeg.started(1), what="the fake ffmpeg to start")
    pids = ffmpeg.pids()
    until(lambda: not any(alive(p) for p in pids), timeout=60.0, what=f"the hung ffmpeg {pids} to end")


def test_a_stuck_file_fails_its_worker_and_ffmpeg_are_killed_and_the_rest_is_analysed(
    tmp_path: Path, hung: HungFfmpeg, pool: AnalysisPool
) -> None:
    stuck = str(hostile_aac(tmp_path / "hostile.aac"))
    good = [str(synth.write(tmp_path / f"g{i}.wav", synth.song("happy", 2.0))) for i in range(3)]
    lengths = {stuck: 8.0, **dict.fromkeys(good, 3600.0)}  # 8 s: a bound of 2 + 0.25 * 8 = 4 s
    results = {r.path: r for r in pool.analyse([stuck, *good], lengths=lengths)}
    assert results[stuck].analysis is None
    assert results[stuck].error == STUCK.format(4)  # the bound grew with the file's length
    ended(hung)  # killed with its worker, not left looping
    assert {p: results[p].error for p in good} == dict.fromkeys(good)
    # new workers (the killed ones replaced) go on analysing
    again = list(pool.analyse(good[:1], lengths=lengths))
    assert [r.error for r in again] == [None]
    assert pool.executors_started == 2


def test_a_scan_marks_the_stuck_file_failed_and_goes_on(
    tmp_path: Path, hung: HungFfmpeg, pool: AnalysisPool
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    for kind in ("happy", "sad"):
        synth.write(music / f"{kind}.wav", synth.song(kind, 2.0))
    with LibraryIndex(tmp_path / "lib.db") as index:
        pool.task_timeout_s = 600.0  # the good files: no bound a busy machine could reach
        indexer = Indexer(index, pool)
        assert indexer.scan([music]).analysed == 2
        stuck = str(hostile_aac(music / "hostile.aac"))  # its tags say 8 s (counted frames)
        pool.task_timeout_s = BASE_S
        summary = indexer.scan([music])
        state = index.file_states()[stuck]
    assert summary.failed == [(stuck, STUCK.format(4))]
    assert (state.status, state.error) == ("failed", STUCK.format(4))
    ended(hung)


def test_a_scan_stopped_while_a_file_is_stuck_stops_its_worker(
    tmp_path: Path, hung: HungFfmpeg, pool: AnalysisPool
) -> None:
    """The caller stops taking results (the service stopping): the stuck worker does not run on, and
    closing the pool does not wait for it (it would, for ever, on a decoder looping in C)."""
    stuck = str(hostile_aac(tmp_path / "hostile.aac"))
    good = str(synth.write(tmp_path / "g.wav", synth.song("happy", 2.0)))
    pool.task_timeout_s = 600.0
    results = pool.analyse([stuck, good])
    first = next(results)  # the good one: the other never finishes
    assert (first.path, first.error) == (good, None)
    results.close()
    ended(hung)
    pool.close()


def test_an_ffmpeg_call_past_its_bound_is_killed_and_says_so(tmp_path: Path, hung: HungFfmpeg) -> None:
    with pytest.raises(DecodeError) as caught:
        read_excerpts(hostile_aac(tmp_path / "hostile.aac"), 4.0, ffmpeg_timeout_s=1.0)
    assert str(caught.value).endswith("; ffmpeg did not finish in 1 s (stuck on corrupt data?)")
    ended(hung)
