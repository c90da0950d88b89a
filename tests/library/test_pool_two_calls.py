"""Two `analyse` calls on one AnalysisPool at once: the one that ends stops only its own analyses.

Its end looked at every call's analyses in flight, so a call that had collected all of its results
killed the workers under another call's analysis still running: that file was analysed again in a
fresh pool (and the workers' JIT warm-up paid again).  A FIFO holds the other call's analysis in a
worker for as long as the test wants: its reader waits for data from a writer the test holds open.
Real workers, real files.
"""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import synth

from moodspeaker.library.workers import AnalysisPool, WorkResult
from polling import until
from testcache import numba_cache


def _writer(fifo: Path) -> int | None:
    """A writer's end of `fifo` once a reader has it open (a worker analysing it), else None."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # no reader yet
            return None
        raise


def _let_go(fifo: Path, call: threading.Thread) -> bool:
    """End whatever reads `fifo` now (a writer that comes and goes: end of file) until `call` is done."""
    fd = _writer(fifo)
    if fd is not None:
        os.close(fd)
    return not call.is_alive()


def test_a_call_that_ends_leaves_another_call_s_analysis_running(tmp_path: Path) -> None:
    song = str(synth.write(tmp_path / "song.wav", synth.song("happy", 2.0)))
    held = tmp_path / "held.wav"
    os.mkfifo(held)
    with AnalysisPool(2, excerpt_s=4.0, numba_cache_dir=numba_cache()) as pool:
        pool.start()
        started = pool.executors_started
        other: list[WorkResult] = []
        call = threading.Thread(target=lambda: other.extend(pool.analyse([str(held)])), daemon=True)
        call.start()
        writer = until(lambda: _writer(held), 120, "a worker reading the held file")
        try:
            (mine,) = pool.analyse([song])  # on the other worker, while the held file is read
            assert mine.analysis is not None, mine
        finally:
            os.close(writer)  # the held file ends: the other call's analysis finishes
            until(lambda: _let_go(held, call), 120, "the other call to finish")
        (theirs,) = other
        assert theirs.path == str(held) and theirs.error, theirs  # a FIFO of nothing is no audio
        assert "crashed" not in theirs.error, theirs
        assert pool.executors_started == started  # its workers were never killed and replaced
