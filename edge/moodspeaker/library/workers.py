"""Long-lived analysis worker processes.

librosa's numba JIT costs seconds per new process, so workers are started once, warmed up by their
initializer (which also points numba at a writable on-disk cache), and then fed many tracks.
`ProcessPoolExecutor` is used rather than `multiprocessing.Pool` because a worker that dies (a
decoder crashing on a corrupt file) breaks the executor visibly instead of hanging the pool: the
tracks in flight are retried in a fresh pool, and one that breaks it twice is recorded as failed.

A worker can also get stuck on one file without dying: a decoder looping in C on corrupt data, an
ffmpeg that never ends, a read from a network mount that stopped answering.  Nothing inside the
worker can notice, so the pool bounds each file's analysis (`AnalysisPool.bound_s`, generous and
longer for longer files); past it the file is recorded as failed ("analysis did not finish in N s"),
the workers are killed with every process they started (library.proctree: the ffmpeg too) and
replaced, and the scan goes on with the rest.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moodspeaker.library.analysis import Analysis, analyse_file
from moodspeaker.library.audio import file_reason
from moodspeaker.library.features import SR, analyse_windows
from moodspeaker.library.proctree import kill_tree

log = logging.getLogger(__name__)

_EXCERPT_S = 20.0

#: How long one file's analysis may take (`AnalysisPool.bound_s`): this base, which the analysis of
#: a song (three 20 s excerpts, tens of seconds on a busy Pi) stays far below...
TASK_TIMEOUT_S = 300.0
#: ...plus this much per second of the file's length.  The analysis itself reads excerpts, but what it
#: takes to reach them grows with the length: libsndfile's MP3 seek decodes from the start (for each
#: of the three excerpts, up to 1.5 times the file in all), ffmpeg walks a raw AAC stream to its
#: position, and the frames of raw AAC are counted over the whole file.  0.25 s per second of audio
#: allows that decoding at only 6 times real time (a slow Pi sharing its cores with the player and a
#: second worker; desktop decoders run at hundreds): a 4-minute song gets 360 s, an hour-long mix 20
#: minutes.  A stuck file costs that once: it is failed, and not tried again by later scans.
PER_AUDIO_S = 0.25
#: Bytes per second of audio assumed for a file whose length is not known (`expected_length`): 128
#: kbit/s, the lowest common bit rate of music, so the guess errs long (a longer bound) for most files.
GUESS_BYTES_PER_S = 16_000


def expected_length(duration_s: float, size: int) -> float:
    """A file's length in seconds for its bound: its tags' `duration_s`, else guessed from its size."""
    return duration_s if duration_s > 0 else max(0, size) / GUESS_BYTES_PER_S


class WorkerStartError(RuntimeError):
    """The worker processes could not start at all (a broken install, not a bad file)."""


@dataclass(frozen=True)
class WorkResult:
    """The outcome for one path: `analysis` or an `error` reason (never both)."""

    path: str
    analysis: Analysis | None
    error: str | None
    seconds: float  # wall clock in the worker
    cpu_s: float = 0.0  # CPU time of the worker process (what the track costs on an idle core)


def _warm_up() -> None:
    """Compile (or load from cache) every numba kernel the analysis uses, on 3 s of clicks."""
    rng = np.random.default_rng(0)
    y = (0.01 * rng.standard_normal(SR * 3)).astype(np.float32)
    y[:: SR // 2] = 0.9
    analyse_windows([y], SR)


def _init(numba_cache_dir: str | None, excerpt_s: float, warm: bool) -> None:
    global _EXCERPT_S  # noqa: PLW0603 - per-process setting of a worker
    if numba_cache_dir:
        os.environ["NUMBA_CACHE_DIR"] = numba_cache_dir
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _EXCERPT_S = excerpt_s
    if warm:
        _warm_up()


@contextlib.contextmanager
def _decoder_notes_caught(path: str) -> Iterator[None]:
    """Keep what the C decoders print while one file is analysed off the terminal (logged at debug).

    libmpg123 writes its notes on a corrupt MP3 ("Note: Illegal Audio-MPEG-Header ... Trying to
    resync...") straight to the process's stderr, past Python: they landed among `moodspeaker index`'s
    progress and summary, although the failure is already one line of that summary.  A worker runs
    one file at a time on one thread, so pointing its descriptor 2 at a temporary file meanwhile
    catches only that file's notes.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            notes = caught.read(4000).decode("utf-8", "replace").strip()
            if notes:
                log.debug("%s: the decoder said: %s", path, notes)


def _work(path: str) -> WorkResult:
    start, cpu = time.perf_counter(), time.process_time()
    try:
        with _decoder_notes_caught(path):
            analysis = analyse_file(path, _EXCERPT_S)
    except Exception as exc:  # every failure is a recorded reason, never a dead scan
        error = file_reason(exc, path)  # the path is printed beside the reason
        return WorkResult(path, None, error, time.perf_counter() - start, time.process_time() - cpu)
    return WorkResult(path, analysis, None, time.perf_counter() - start, time.process_time() - cpu)


def jit_cache_warm(cache: str | Path) -> bool:
    """Whether numba's cache folder holds compiled kernels already (an index file): a pool started on
    it loads them instead of compiling them first (seconds here, minutes on a Pi)."""
    return any(Path(cache).rglob("*.nbi"))


class AnalysisPool:
    """A pool of warmed-up analysis workers; `analyse(paths)` yields results as they finish."""

    def __init__(
        self,
        workers: int = 2,
        excerpt_s: float = 20.0,
        numba_cache_dir: str | Path | None = None,
        warm: bool = True,
        task_timeout_s: float = TASK_TIMEOUT_S,
    ) -> None:
        """`task_timeout_s`: the base of each file's bound (`bound_s`); a test sets it small."""
        self.workers = max(1, workers)
        self.task_timeout_s = task_timeout_s
        self._initargs = (str(numba_cache_dir) if numba_cache_dir else None, excerpt_s, warm)
        if numba_cache_dir:
            Path(numba_cache_dir).mkdir(parents=True, exist_ok=True)
        self._executor: ProcessPoolExecutor | None = None
        self.warmup_s = 0.0
        #: worker sets started so far (each costs the JIT warm-up): 1 for a pool that served every
        #: `analyse` call, more after a crash or a stuck track restarted the workers
        self.executors_started = 0
        #: the analyses submitted and not collected yet of each `analyse` call under way: each call's
        #: own dict of them, not a copy kept in step with it (see `close`).  The list is changed and
        #: read by the calls' threads and `close`: under `_inflight_lock`
        self._inflight: list[dict[Future[WorkResult], str]] = []
        self._inflight_lock = threading.Lock()

    def _warm_cache_once(self) -> None:
        """Fill a cold numba cache from one process before starting several.

        Workers compiling the same kernels at once into an empty cache race on its index files;
        one process first makes every later start a cache load.
        """
        cache = self._initargs[0]
        if not cache or not self._initargs[2] or self.workers == 1 or jit_cache_warm(cache):
            return
        log.info("first run: compiling librosa's kernels into %s (once)", cache)
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init, initargs=self._initargs) as one:
            one.submit(os.getpid).result()

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._warm_cache_once()
            # spawn: the parent may hold threads (zeroconf, HTTP) and may have imported numba with
            # another cache setting; a clean interpreter per worker avoids both problems.
            ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_init, initargs=self._initargs
            )
            self.executors_started += 1
        return self._executor

    def start(self) -> float:
        """Start and warm every worker now; returns the wall-clock warm-up time in seconds."""
        begin = time.perf_counter()
        try:
            pool = self._pool()
            for f in [pool.submit(os.getpid) for _ in range(self.workers * 2)]:
                f.result()
        except BrokenProcessPool as exc:
            self._reset()
            raise WorkerStartError(
                "analysis workers died while starting (is the `library` extra installed? see the log)"
            ) from exc
        self.warmup_s = time.perf_counter() - begin
        return self.warmup_s

    def bound_s(self, length_s: float = 0.0) -> float:
        """How long the analysis of a file `length_s` long (0: not known) may run before it counts
        as stuck: `task_timeout_s` plus PER_AUDIO_S per second of audio (why: see PER_AUDIO_S)."""
        return self.task_timeout_s + PER_AUDIO_S * max(0.0, length_s)

    def analyse(
        self,
        paths: Iterable[str],
        on_start: Callable[[str], None] | None = None,
        *,
        lengths: Mapping[str, float] | None = None,
    ) -> Generator[WorkResult, None, None]:
        """Analyse `paths` in parallel; results arrive in completion order.

        One track in flight per worker, so the time since submission is the time a worker has been
        on it (time.monotonic: a suspend does not count).  A track still unfinished past its bound
        (`bound_s` of its length in `lengths`, seconds, see `expected_length`) is recorded as failed,
        and the workers are killed with their ffmpeg (`_kill`) and replaced; the tracks beside it are
        analysed again.  Should the caller stop taking results (a scan stopped), the analyses still
        running are killed: one stuck would otherwise hold up `close` for ever.
        """
        inflight: dict[Future[WorkResult], str] = {}
        with self._inflight_lock:
            self._inflight.append(inflight)
        try:
            yield from self._analyse(paths, on_start, lengths or {}, inflight)
        finally:
            with self._inflight_lock:
                # by identity: list.remove compares dicts by value (two calls' empty dicts are equal)
                self._inflight = [d for d in self._inflight if d is not inflight]
            # its own analyses only: another call's (a second scan on this pool) are not this one's to
            # stop, and ending a call that finished must not kill the workers under one still running
            if any(not f.done() for f in list(inflight)):
                log.info("analysis stopped with tracks in flight; stopping the workers")
                self._kill()

    def _analyse(
        self,
        paths: Iterable[str],
        on_start: Callable[[str], None] | None,
        lengths: Mapping[str, float],
        inflight: dict[Future[WorkResult], str],
    ) -> Iterator[WorkResult]:
        """The work of `analyse`; `inflight`: its analyses submitted and not collected yet (by path)."""
        pending = iter(paths)
        crashes: dict[str, int] = {}
        retry: list[str] = []
        started: dict[Future[WorkResult], float] = {}
        deadline: dict[Future[WorkResult], float] = {}
        limit = self.workers
        exhausted = False
        while True:
            while len(inflight) < limit and (retry or not exhausted):
                if retry:
                    path = retry.pop()
                else:
                    nxt = next(pending, None)
                    if nxt is None:
                        exhausted = True
                        break
                    path = nxt
                if on_start:
                    on_start(path)
                try:
                    if self._executor is None:
                        self.start()  # only when there is work; warm-up must not count as task time
                    fut = self._pool().submit(_work, path)
                    inflight[fut] = path
                    started[fut] = time.monotonic()
                    deadline[fut] = started[fut] + self.bound_s(lengths.get(path, 0.0))
                except BrokenProcessPool:
                    retry.append(path)
                    self._reset()
                except RuntimeError:
                    # "cannot schedule new futures after shutdown": we never submit to an executor we
                    # shut down ourselves, so the interpreter is exiting (its atexit hook shuts every
                    # executor down) while this runs in a daemon thread, e.g. a rescan when the
                    # service stops.  Stop quietly: the tracks in flight still finish and are yielded;
                    # the rest stay `pending` in the index for the next scan.
                    left = 1 + len(retry) + sum(1 for _ in pending)
                    log.info(
                        "analysis stopped: the program is exiting (%d tracks left for the next scan)", left
                    )
                    retry.clear()
                    exhausted = True
                    break
            if not inflight:
                return
            patience = max(0.05, min(deadline[f] for f in inflight) - time.monotonic())
            done, _ = wait(list(inflight), timeout=patience, return_when=FIRST_COMPLETED)
            if not done:
                now = time.monotonic()
                if all(now < deadline[f] for f in inflight):
                    continue  # woke a hair early: wait on
                stuck: list[WorkResult] = []
                for fut, path in list(inflight.items()):
                    inflight.pop(fut)
                    begun, end = started.pop(fut), deadline.pop(fut)
                    if now >= end:
                        stuck.append(WorkResult(path, None, _stuck_reason(end - begun), now - begun))
                    else:
                        retry.append(path)  # an innocent neighbour of the stuck one
                for r in stuck:
                    log.warning("%s: %s; stopping the workers (and their decoders)", r.path, r.error)
                self._kill()  # before the results go out: no decoder runs on while the caller works
                yield from stuck
                continue
            broken = False
            for fut in done:
                path = inflight.pop(fut)
                started.pop(fut, None)
                deadline.pop(fut, None)
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    broken = True
                    crashes[path] = crashes.get(path, 0) + 1
                    if crashes[path] >= 2:
                        yield WorkResult(path, None, "analysis worker crashed on this file (twice)", 0.0)
                    else:
                        retry.append(path)
            if broken:
                log.warning("an analysis worker died; restarting the pool and retrying its tracks")
                for fut, path in list(inflight.items()):
                    crashes[path] = crashes.get(path, 0) + 1
                    retry.append(path)
                    inflight.pop(fut)
                    started.pop(fut, None)
                    deadline.pop(fut, None)
                self._reset()

    def _busy(self) -> bool:
        """Whether an analysis submitted by any `analyse` call is still running (`close`)."""
        with self._inflight_lock:
            calls = list(self._inflight)
        return any(not f.done() for inflight in calls for f in list(inflight))

    def _kill(self) -> None:
        """Stop the workers now, even one blocked in a system call (a hung NFS read) or looping in C,
        with every process they started: an ffmpeg decoding for one would else live on, orphaned
        (maybe looping for ever).  A ProcessPoolExecutor cannot lose one worker and go on (the
        others are stopped with it, their tasks fail), so all are replaced at the next submit."""
        if self._executor is not None:
            # ProcessPoolExecutor has no public way to kill busy workers before Python 3.14
            for proc in list(getattr(self._executor, "_processes", {}).values()):
                if proc.pid is not None:
                    orphans = kill_tree(proc.pid)
                    if orphans:
                        log.info("killed worker %d and the processes it started: %s", proc.pid, orphans)
            self._reset()

    def _reset(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        """Stop the workers; analyses still running (results no one collected: a scan stopped) are
        killed, as one stuck on a file would never let `shutdown` return."""
        if self._busy():
            self._kill()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> AnalysisPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stuck_reason(bound_s: float) -> str:
    """The reason recorded for a file whose analysis was stopped at its bound."""
    return f"analysis did not finish in {bound_s:.0f} s (a decoder stuck on this file, or a hung mount?)"
